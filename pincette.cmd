@echo off
rem pincette.cmd: ./pincette for Windows. Builds the project on first use (or when sources changed), then runs the
rem command line:  pincette.cmd demo ^| devices ^| bench ^| calibrate ^| --help    pincette.cmd jmh [JMH options]
rem Finds a JDK 25 or newer: JAVA_HOME, java on the PATH (where java), then the usual install folders.
setlocal EnableExtensions DisableDelayedExpansion
set "root=%~dp0"
set "root=%root:~0,-1%"
set "java="

if defined JAVA_HOME call :try "%JAVA_HOME%\bin\java.exe"
if not defined java for /f "delims=" %%j in ('where java 2^>nul') do if not defined java call :try "%%j"
rem Temurin, Oracle, Microsoft, Zulu, Corretto and Liberica install folders, and IntelliJ's downloads (.jdks).
set dirs="%ProgramFiles%\Java" "%ProgramFiles%\Eclipse Adoptium" "%ProgramFiles%\Microsoft" "%ProgramFiles%\Zulu" "%ProgramFiles%\Amazon Corretto" "%ProgramFiles%\BellSoft" "%LOCALAPPDATA%\Programs\Eclipse Adoptium" "%USERPROFILE%\.jdks"
for %%p in (%dirs%) do (
  if not defined java if exist "%%~p" for /d %%d in ("%%~p\*") do if not defined java call :try "%%d\bin\java.exe"
)
if not defined java if exist "%USERPROFILE%\scoop\apps" for /d %%d in ("%USERPROFILE%\scoop\apps\*") do (
  if not defined java call :try "%%d\current\bin\java.exe"
)
if not defined java (
  echo pincette: needs a JDK 25 or newer ^(none in JAVA_HOME, on the PATH or in the usual install folders^); set JAVA_HOME to one 1>&2
  exit /b 1
)

set "jar=%root%\examples\target\pincette-examples.jar"
set "stamp=%root%\examples\target\.built"
set "build="
if not exist "%jar%" set "build=1"
if not exist "%stamp%" set "build=1"
if not defined build (
  powershell -NoProfile -Command "$since = (Get-Item -LiteralPath $env:stamp).LastWriteTime; $newer = Get-ChildItem -Path $env:root -Recurse -File -Include *.java,*.cl,pom.xml | Where-Object { $_.FullName -notmatch '\\(\.git|target)\\' -and $_.LastWriteTime -gt $since } | Select-Object -First 1; if ($newer) { exit 1 }" || set "build=1"
)
if defined build (
  echo pincette: building ^(first use or sources changed^)... 1>&2
  pushd "%root%"
  call mvnw.cmd -q -B -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true install 1>&2 || (popd & exit /b 1)
  popd
  type nul > "%stamp%"
)

set "flags=--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"
if /i "%~1"=="jmh" goto jmh
"%java%" %flags% %PINCETTE_JAVA_OPTS% -cp "%jar%;%root%\examples\target\lib\*" dev.pincette.examples.cli.PincetteCli %*
exit /b %errorlevel%

:jmh
set "args="
shift
:jmh_args
if "%~1"=="" goto jmh_run
set args=%args% %1
shift
goto jmh_args
:jmh_run
"%java%" %flags% -jar "%root%\benchmarks\target\benchmarks.jar" %args%
exit /b %errorlevel%

rem :try JAVA sets java to JAVA if it exists and reports java.specification.version 25 or newer.
:try
if not exist "%~1" exit /b 0
set "spec="
set "major="
for /f "usebackq tokens=2 delims==" %%v in (`call "%~1" -XshowSettings:properties -version 2^>^&1 ^| findstr /c:"java.specification.version"`) do set "spec=%%v"
if not defined spec exit /b 0
set "spec=%spec: =%"
for /f "tokens=1 delims=." %%m in ("%spec%") do set "major=%%m"
if %major% GEQ 25 set "java=%~1"
exit /b 0

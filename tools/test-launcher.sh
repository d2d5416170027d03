#!/usr/bin/env bash
# Tests the JDK search of ./pincette (tools/find-jdk.sh) with fake JDKs: folders whose bin/java is a stub that prints
# the version it stands for. Run by .ci/run; prints one line per case and exits 1 if any fails.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT

# A JDK folder $1 whose java reports feature version $2.
jdk() {
  mkdir -p "$1/bin"
  printf '#!/bin/sh\necho "    java.specification.version = %s" >&2\n' "$2" > "$1/bin/java"
  chmod +x "$1/bin/java"
}
jdk "$fake/opt/jdk-17" 17
jdk "$fake/opt/jdk-25" 25
jdk "$fake/home/.sdkman/candidates/java/21.0.5-tem" 21
jdk "$fake/home/.sdkman/candidates/java/25.0.1-tem" 25
jdk "$fake/mac/jdk-26.jdk/Contents/Home" 26
jdk "$fake/system/jdk-25" 25
mkdir -p "$fake/path" "$fake/tools" "$fake/nothing"
jdk "$fake/pathjdk" 25
ln -s "$fake/pathjdk/bin/java" "$fake/path/java"
# macOS's java_home: answers `-v 25+` with the JDK 26 folder, fails otherwise.
cat > "$fake/mac/java_home" <<EOS
#!/bin/sh
[ "\$1" = -v ] && [ "\$2" = 25+ ] && { echo "$fake/mac/jdk-26.jdk/Contents/Home"; exit 0; }
exit 1
EOS
chmod +x "$fake/mac/java_home"
# The search runs with a PATH that holds only sed (and, in some cases, the fake java): no real JDK can answer.
ln -s "$(command -v sed)" "$fake/tools/sed"

failures=0
# case NAME EXPECTED(java path, or "none") then VAR=VALUE settings for the search.
case_() {
  local name=$1 expected=$2 got
  shift 2
  got=$(env -i "$@" "$BASH" -c 'source "$1"; java_home_tool=$2; jdk_dirs=("$3"/*); find_jdk || echo none' _ \
    "$here/find-jdk.sh" "${MAC_TOOL:-$fake/nothing/java_home}" "${SYSTEM:-$fake/nothing}")
  if [ "$got" = "$expected" ]; then
    echo "ok   $name"
  else
    echo "FAIL $name: got $got, expected $expected"
    failures=$((failures + 1))
  fi
}
P="PATH=$fake/tools"
H="HOME=$fake/home"
NOHOME="HOME=$fake/nothing"
case_ "JAVA_HOME of 25 comes first" "$fake/opt/jdk-25/bin/java" "$P" "$H" "JAVA_HOME=$fake/opt/jdk-25"
case_ "JAVA_HOME of 17 is passed over for SDKMAN's 25" "$fake/home/.sdkman/candidates/java/25.0.1-tem/bin/java" \
  "$P" "$H" "JAVA_HOME=$fake/opt/jdk-17"
case_ "SDKMAN_DIR is honoured" "$fake/home/.sdkman/candidates/java/25.0.1-tem/bin/java" \
  "$P" "$NOHOME" "SDKMAN_DIR=$fake/home/.sdkman"
MAC_TOOL="$fake/mac/java_home" case_ "macOS java_home -v 25+" "$fake/mac/jdk-26.jdk/Contents/Home/bin/java" \
  "$P" "$NOHOME"
case_ "java on the PATH" "$fake/path/java" "PATH=$fake/tools:$fake/path" "$NOHOME"
SYSTEM="$fake/system" case_ "an install folder" "$fake/system/jdk-25/bin/java" "$P" "$NOHOME"
SYSTEM="$fake/opt" case_ "a JDK 25 among older ones" "$fake/opt/jdk-25/bin/java" "$P" "$NOHOME" \
  "JAVA_HOME=$fake/opt/jdk-17"
case_ "nothing of 25 or newer" none "$P" "$NOHOME" "JAVA_HOME=$fake/opt/jdk-17"

[ "$failures" -eq 0 ] && echo "launcher JDK search: all cases pass" || echo "launcher JDK search: $failures failed"
[ "$failures" -eq 0 ]

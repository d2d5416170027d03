# Sourced by ./pincette and ./mvnw (through bash): find_jdk prints the java of a JDK 25 or newer, or returns 1.
# Looks, in order, at JAVA_HOME, SDKMAN's installs, macOS's java_home, java on the PATH, then the usual install
# folders. tools/test-launcher.sh points java_home_tool and jdk_dirs at fake JDKs.
java_home_tool=/usr/libexec/java_home
jdk_dirs=(/usr/lib/jvm/* /opt/java/* /Library/Java/JavaVirtualMachines/*/Contents/Home)

# The feature version (25 for 25.0.1) the JDK of java $1 reports, from java.specification.version.
java_feature() {
  local v
  v=$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  echo "${v%%.*}"
}

jdk_candidates() {
  [ -n "${JAVA_HOME:-}" ] && echo "$JAVA_HOME/bin/java"
  local sdkman="${SDKMAN_DIR:-${HOME:-}/.sdkman}/candidates/java" d home
  for d in "$sdkman"/current "$sdkman"/*; do
    [ -x "$d/bin/java" ] && echo "$d/bin/java"
  done
  if [ -x "$java_home_tool" ] && home=$("$java_home_tool" -v 25+ 2>/dev/null) && [ -n "$home" ]; then
    echo "$home/bin/java"
  fi
  command -v java 2>/dev/null || true
  for d in "${jdk_dirs[@]}"; do
    [ -x "$d/bin/java" ] && echo "$d/bin/java"
  done
}

find_jdk() {
  local j v
  while IFS= read -r j; do
    [ -x "$j" ] || continue
    v=$(java_feature "$j")
    if [ "${v:-0}" -ge 25 ] 2>/dev/null; then echo "$j"; return 0; fi
  done < <(jdk_candidates)
  return 1
}

#!/usr/bin/env bash
# ctest clients_java_classes (fixture clients_java_classes): compiles clients/java offline (Maven;
# scripts/setup.sh resolved every dependency and plugin) and copies its classes and runtime
# classpath to $CASELINK_BUILD_DIR/clients-java/, where it_ctl_conformance runs the Java agency
# adapter example from. A copy, because clients_java starts with `mvn clean`. Writes
# clients-java/classpath.txt (a java -cp value) last, so it exists only after a good build.
# Skipped (77) only when java or mvn is not installed; a failed build fails.
set -uo pipefail
ROOT="${CASELINK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
OUT="${CASELINK_BUILD_DIR:-$ROOT/build}/clients-java"
cd "$ROOT"
for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool is not installed (scripts/setup.sh installs it)"
    exit 77
  fi
done
rm -rf "$OUT"
# (Maven 3.8 emits stray ANSI resets even with -B: filter them; pipefail keeps mvn's status.)
mvn -B -o -q -ntp -Dstyle.color=never -f clients/java/pom.xml compile 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g'
status="${PIPESTATUS[0]}"
if [[ "$status" -ne 0 ]]; then
  echo "FAIL: mvn compile of clients/java exited $status"
  exit 1
fi
mkdir -p "$OUT"
cp -r clients/java/target/classes "$OUT/classes" || exit 1
printf '%s:%s\n' "$OUT/classes" "$(cat clients/java/target/classpath.txt)" > "$OUT/classpath.txt.tmp" &&
  mv "$OUT/classpath.txt.tmp" "$OUT/classpath.txt" || exit 1
echo "classes and classpath in $OUT"

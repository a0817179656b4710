#!/usr/bin/env bash
# ctest clients_java: builds clients/java (classes generated from proto/ by protoc) and runs
# its JUnit suite with Maven offline: scripts/setup.sh resolved every dependency and plugin.
# Skipped (77) without CASELINK_KAFKA_BOOTSTRAP.
set -uo pipefail
ROOT="${CASELINK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$ROOT"
source scripts/kafka-bootstrap.sh
caselink_bootstrap_or_skip
# (Maven 3.8 emits stray ANSI resets even with -B: filter them; pipefail keeps mvn's status.)
mvn -B -o -ntp -Dstyle.color=never -f clients/java/pom.xml clean test 2>&1 |
  sed -e 's/\x1b\[[0-9;]*m//g' -e '/^\[INFO\] *-*$/d' -e '/Download/d'
exit "${PIPESTATUS[0]}"

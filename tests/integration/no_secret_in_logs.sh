#!/usr/bin/env bash
# ctest it_no_secret_in_logs — the last test of the test command (it DEPENDS on every other):
# no password of the test command's secured broker appears in any log of the whole run.
#
# The passwords: every principal's `sasl.password` in CASELINK_KAFKA_CLIENT_DIR (kafka.sh
# --secure's clients/ directory; the super user's included; or the one file
# CASELINK_KAFKA_CLIENT_CONFIG_FILE names) and the inter-broker password of a kafka.sh instance
# (../secrets/broker.password). The logs, those written since the broker's client files were:
#   - ctest's record of every test's output so far (Testing/Temporary/LastTest.log.tmp while
#     ctest runs; at least one is required);
#   - every text file the tests' stacks and benchmarks wrote under the build tree (run dirs,
#     service logs, scenario output; not CMake's own files);
#   - the Java client tests' reports (clients/java/target/surefire-reports);
#   - the broker's logs (node-*/logs, rotated ones included, node.out, format.log).
# Not searched: the clients/ and secrets/ directories and the brokers' server.properties, where
# the passwords belong; the temporary directories C++ tests make under /tmp and remove.
# Before the search, a planted file proves it finds a password where a log would be.
#
# Skipped (77) when the test command's broker is not secured (CASELINK_TEST_INSECURE=1, or a
# plaintext broker given): there is no password to look for.
set -uo pipefail
BUILD="${CASELINK_BUILD_DIR:?CASELINK_BUILD_DIR is set by ctest}"
ROOT="${CASELINK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
CLIENT_DIR="${CASELINK_KAFKA_CLIENT_DIR:-}"
CLIENT_FILES=()
if [[ -n "$CLIENT_DIR" ]]; then
  CLIENT_FILES=("$CLIENT_DIR"/*.properties)
elif [[ -n "${CASELINK_KAFKA_CLIENT_CONFIG_FILE:-}" ]]; then
  CLIENT_DIR="$(dirname "$CASELINK_KAFKA_CLIENT_CONFIG_FILE")"
  CLIENT_FILES=("$CASELINK_KAFKA_CLIENT_CONFIG_FILE")
else
  echo "SKIP: the test broker is not secured (neither CASELINK_KAFKA_CLIENT_DIR nor CASELINK_KAFKA_CLIENT_CONFIG_FILE): no password to look for"
  exit 77
fi
INSTANCE="$(cd "$CLIENT_DIR/.." && pwd)"
KAFKA_SH_INSTANCE=0
[[ -f "$INSTANCE/instance.env" ]] && KAFKA_SH_INSTANCE=1
fail() { echo "FAIL: $*"; exit 1; }

# The passwords, one per line, in a 0600 file of their own (never printed).
umask 077
PATTERNS="$(mktemp)"
PLANTED="$BUILD/it_no_secret_in_logs.selfcheck.log"
trap 'rm -f "$PATTERNS" "$PLANTED"' EXIT
sed -n 's/^sasl\.password=//p' "${CLIENT_FILES[@]}" >"$PATTERNS"
[[ -s "$INSTANCE/secrets/broker.password" ]] && cat "$INSTANCE/secrets/broker.password" >>"$PATTERNS"
sed -i '/^$/d' "$PATTERNS"
count=$(wc -l <"$PATTERNS")
(( count >= 1 )) || fail "no sasl.password in ${CLIENT_FILES[*]}"

# Files written since the client files were (the broker instance's start, or the given file's).
SINCE="${CLIENT_FILES[0]}"
logs() {
  find "$BUILD/Testing/Temporary" -type f -name 'LastTest*.log*' -newer "$SINCE" -print0 2>/dev/null
  find "$BUILD" -path "$BUILD/Testing" -prune -o -path '*/CMakeFiles' -prune -o -type f -newer "$SINCE" \
    \( -name '*.log' -o -name '*.log.[0-9]*' -o -name '*.out' -o -name '*.err' -o -name '*.txt' -o -name '*.json' \
    -o -name '*.cases' -o -name '*.tsv' \) -not -name 'CMakeCache.txt' -not -name 'compile_commands.json' -print0
  find "$ROOT/clients/java/target/surefire-reports" -type f -newer "$SINCE" -print0 2>/dev/null
  if (( KAFKA_SH_INSTANCE )); then
    find "$INSTANCE" -path "$INSTANCE/clients" -prune -o -path "$INSTANCE/secrets" -prune -o -path '*/data' -prune -o \
      -type f \( -name '*.log' -o -name '*.log.[0-9]*' -o -name '*.out' \) -print0
  fi
}
# Files of `logs` holding a password, one per line.
holding_a_password() {
  local f
  while IFS= read -r -d '' f; do
    grep -qaF -f "$PATTERNS" -- "$f" && printf '%s\n' "$f"
  done < <(logs)
}

# The search finds a password in a log-like file under the build tree (then the file goes).
head -n 1 "$PATTERNS" | sed 's/^/planted by it_no_secret_in_logs: /' >"$PLANTED"
mapfile -t hits < <(holding_a_password)
printf '%s\n' "${hits[@]}" | grep -qxF "$PLANTED" || fail "the search does not find a password planted in $PLANTED"
rm -f "$PLANTED"

LOGS=()
while IFS= read -r -d '' f; do LOGS+=("$f"); done < <(logs)
ctest_logs=$(printf '%s\n' "${LOGS[@]}" | grep -c '/Testing/Temporary/LastTest')
(( ctest_logs > 0 )) || fail "no ctest log of this run under $BUILD/Testing/Temporary: nothing of the run to search"
broker_logs=$(printf '%s\n' "${LOGS[@]}" | grep -c "^$INSTANCE/")
(( KAFKA_SH_INSTANCE == 0 || broker_logs > 0 )) || fail "no broker log under $INSTANCE"

mapfile -t found < <(holding_a_password)
bytes=$(cat "${LOGS[@]}" | wc -c)
echo "searched ${#LOGS[@]} files ($((bytes / 1024 / 1024)) MiB: $ctest_logs ctest log(s), $broker_logs broker log(s)) for $count password(s)"
if (( ${#found[@]} > 0 )); then
  printf '  a password appears in %s\n' "${found[@]}"
  fail "${#found[@]} file(s) hold a password of the test broker (the value is not printed)"
fi
echo "PASS: no password of the test broker in any log of the run"

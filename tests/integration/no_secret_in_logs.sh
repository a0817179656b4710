#!/usr/bin/env bash
# ctest it_no_secret_in_logs — the last test of the test command (it DEPENDS on every other):
# no password of the test command's secured broker appears in any log of the whole run.
#
# The passwords: every principal's `sasl.password` in CASELINK_KAFKA_CLIENT_DIR (kafka.sh
# --secure's clients/ directory; the super user's included) and the inter-broker password beside
# it (../secrets/broker.password). The logs: ctest's own record of every test's output so far
# (Testing/Temporary/LastTest*.log), every text file the tests' stacks and benchmarks wrote under
# the build tree (run dirs, service logs, scenario output; not CMake's own files), and the broker's
# logs (node-*/logs, node.out, format.log). Not searched: the clients/ and secrets/ directories and
# the brokers' server.properties, where the passwords belong.
#
# Skipped (77) when the test command's broker is not secured (CASELINK_TEST_INSECURE=1, or a
# broker given without CASELINK_KAFKA_CLIENT_DIR): there is no password to look for.
set -uo pipefail
BUILD="${CASELINK_BUILD_DIR:?CASELINK_BUILD_DIR is set by ctest}"
CLIENT_DIR="${CASELINK_KAFKA_CLIENT_DIR:-}"
if [[ -z "$CLIENT_DIR" ]]; then
  echo "SKIP: the test broker is not secured (no CASELINK_KAFKA_CLIENT_DIR): no password to look for"
  exit 77
fi
INSTANCE="$(cd "$CLIENT_DIR/.." && pwd)"
fail() { echo "FAIL: $*"; exit 1; }

# The passwords, one per line, in a 0600 file of their own (never printed).
umask 077
PATTERNS="$(mktemp)"
trap 'rm -f "$PATTERNS"' EXIT
sed -n 's/^sasl\.password=//p' "$CLIENT_DIR"/*.properties >"$PATTERNS"
[[ -s "$INSTANCE/secrets/broker.password" ]] && cat "$INSTANCE/secrets/broker.password" >>"$PATTERNS"
sed -i '/^$/d' "$PATTERNS"
count=$(wc -l <"$PATTERNS")
(( count >= 2 )) || fail "found $count password(s) in $CLIENT_DIR: expected the admin's, the brokers' and every principal's"
# The search itself must be able to find them: each password is found in the file it came from.
while IFS= read -r pw; do
  grep -rqF -- "$pw" "$CLIENT_DIR" "$INSTANCE/secrets" || fail "the search does not find a password in its own file"
done <"$PATTERNS"

# The logs of the run.
LOGS=()
while IFS= read -r -d '' f; do LOGS+=("$f"); done < <(
  find "$BUILD/Testing/Temporary" -type f -name 'LastTest*.log' -print0 2>/dev/null
  find "$BUILD" -path "$BUILD/Testing" -prune -o -path '*/CMakeFiles' -prune -o -path "$BUILD/fuzz" -prune -o \
    -type f \( -name '*.log' -o -name '*.out' -o -name '*.err' -o -name '*.txt' -o -name '*.json' -o -name '*.cases' \
    -o -name '*.tsv' \) -not -name 'CMakeCache.txt' -not -name 'compile_commands.json' -print0
  find "$INSTANCE" -path "$INSTANCE/clients" -prune -o -path "$INSTANCE/secrets" -prune -o -path '*/data' -prune -o \
    -type f \( -name '*.log' -o -name '*.out' \) -print0)
ctest_logs=0
for f in "${LOGS[@]}"; do [[ "$f" == */Testing/Temporary/LastTest*.log ]] && ctest_logs=$((ctest_logs + 1)); done
(( ctest_logs > 0 )) || fail "no ctest log under $BUILD/Testing/Temporary: nothing of the run to search"
broker_logs=$(printf '%s\n' "${LOGS[@]}" | grep -c "^$INSTANCE/")
(( broker_logs > 0 )) || fail "no broker log under $INSTANCE"

found=()
for f in "${LOGS[@]}"; do
  grep -qIF -f "$PATTERNS" -- "$f" && found+=("$f")
done
bytes=$(cat "${LOGS[@]}" | wc -c)
echo "searched ${#LOGS[@]} files ($((bytes / 1024 / 1024)) MiB: $ctest_logs ctest log(s), $broker_logs broker log(s)) for $count passwords"
if (( ${#found[@]} > 0 )); then
  printf '  a password appears in %s\n' "${found[@]}"
  fail "${#found[@]} file(s) hold a password of the test broker (the value is not printed)"
fi
echo "PASS: no password of the test broker in any log of the run"

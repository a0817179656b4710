#!/usr/bin/env bash
# scripts/run.sh --status reports a service that died after run.sh started it (a pid file naming
# no live process) as DEAD with its last log lines, and exits 3; a live one as running. Needs no
# broker (CASELINK_KAFKA_BOOTSTRAP points nowhere, so run.sh does not look at a local one) and no build.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
run_dir=$(mktemp -d)
alive_pid=""
cleanup() {
  [[ -n $alive_pid ]] && kill "$alive_pid" 2>/dev/null
  rm -rf "$run_dir"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# A process that has exited (reaped) for caselink-sync, a live one for caselink-feedback.
bash -c 'exit 0' &
dead_pid=$!
wait "$dead_pid"
echo "$dead_pid" >"$run_dir/caselink-sync.pid"
echo "terminate called after throwing an instance of 'std::runtime_error'" >"$run_dir/caselink-sync.log"
sleep 300 &
alive_pid=$!
echo "$alive_pid" >"$run_dir/caselink-feedback.pid"

output=$(CASELINK_KAFKA_BOOTSTRAP=127.0.0.1:1 CASELINK_RUN_DIR="$run_dir" CASELINK_PORT_BASE=1 \
  bash "$root/scripts/run.sh" --status 2>&1)
status=$?
echo "$output"
[[ $status == 3 ]] || fail "run.sh --status exited $status with a dead service (expected 3)"
grep -Eq "^caselink-sync +DEAD \(pid $dead_pid exited" <<<"$output" || fail "caselink-sync not reported DEAD"
grep -q "std::runtime_error" <<<"$output" || fail "the dead service's last log lines are not shown"
grep -Eq "^caselink-feedback +running \(pid $alive_pid\)" <<<"$output" || fail "caselink-feedback not reported running"
grep -Eq "^caselink-standards +stopped" <<<"$output" || fail "a service never started is not 'stopped'"

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"

# Sourced by the e2e scripts that check scripts/run.sh's output (scenario_smoke.sh,
# main_job_secure.sh): counting failures, matching lines, and the closing report. OUT is the
# file with run.sh's output.
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect() {  # expect <description> <extended regex> [file]
  grep -Eq -- "$2" "${3:-$OUT}" || fail "$1 (no line matching /$2/)"
}
# finish <run dir> <message>: on any failure, run.sh's output and every log's last lines, exit 1;
# else the message.
finish() {
  if [[ "$failures" != 0 ]]; then
    echo "---- scripts/run.sh output (last 150 lines) ----"
    tail -n 150 "$OUT"
    for log in "$1"/*.log; do echo "---- $log (last 15 lines)"; tail -n 15 "$log"; done
    echo "$failures check(s) failed"
    exit 1
  fi
  echo "$2"
}

#!/usr/bin/env bash
# ctest fixture clients_scenario_records: makes sure the broker holds the records of caselink's
# scenario, which the client tests decode. After e2e_scenario_smoke (same broker) they are
# there and this only looks; otherwise it plays the scenario with scripts/run.sh --no-setup
# (its own run dir and ports), then stops the services again.
set -uo pipefail
ROOT="${CASELINK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$ROOT"
source scripts/kafka-bootstrap.sh
caselink_bootstrap_or_skip

# A record on each topic that only the services write (snapshots, alerts, receipts,
# assessments) means the scenario has run on this broker.
has_records() {
  caselink_kcat -C -b "$CASELINK_KAFKA_BOOTSTRAP" -t "$1" -o beginning -c 1 -e -q -X isolation.level=read_committed \
    -f '%o\n' 2>/dev/null | grep -q .
}
scenario_ran() {
  local topic
  for topic in caselink.case.state.v1 caselink.alert.v1 caselink.evidence.receipt.v1 caselink.standards.assessment.v1; do
    has_records "$topic" || return 1
  done
}

if scenario_ran; then
  echo "the scenario's records are on ${CASELINK_KAFKA_BOOTSTRAP} already (e2e_scenario_smoke): reusing them"
  exit 0
fi
export CASELINK_BUILD_DIR="${CASELINK_BUILD_DIR:-$ROOT/build}"
export CASELINK_RUN_DIR="$CASELINK_BUILD_DIR/clients-run"
# Ports apart from e2e_scenario_smoke's (19401-19407, 19480-19481) and from the brokers' (19x00-19x01).
export CASELINK_PORT_BASE=19440
export CASELINK_INGRESS_PORT=19487
export CASELINK_CONSOLE_PORT=19488
rm -rf "$CASELINK_RUN_DIR"
mkdir -p "$CASELINK_RUN_DIR"
# run.sh leaves the services running when it fails half-way; --then-stop covers only success.
trap 'bash scripts/run.sh --stop >/dev/null 2>&1' EXIT
echo "playing the scenario on ${CASELINK_KAFKA_BOOTSTRAP} (scripts/run.sh --no-setup --then-stop)"
if ! bash scripts/run.sh --no-setup --then-stop >"$CASELINK_RUN_DIR/run.out" 2>&1; then
  tail -n 60 "$CASELINK_RUN_DIR/run.out"
  echo "FAIL: scripts/run.sh did not play the scenario to its end"
  exit 1
fi
scenario_ran || { echo "FAIL: the scenario ran but the services' topics are still empty"; exit 1; }
echo "scenario played: $(wc -l <"$CASELINK_RUN_DIR/scenario.cases") cases"

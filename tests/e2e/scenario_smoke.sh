#!/usr/bin/env bash
# e2e smoke test of the main job (ctest: e2e_scenario_smoke). Needs CASELINK_KAFKA_BOOTSTRAP (a broker
# with the topic spec applied, as scripts/test.sh provides); skipped (77) without it.
#
# Runs scripts/run.sh --no-setup against that broker with its own run dir and ports, then checks
# what a user sees: every case of the scenario ends as the story says (the scenario's own check),
# and caselinkctl's printout shows the timelines, final states, the missed deadline, the alerts,
# a verified hash chain and a verified signature on every event.
set -uo pipefail
ROOT="${CASELINK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$ROOT"
source scripts/kafka-bootstrap.sh
caselink_bootstrap_or_skip
export CASELINK_BUILD_DIR="${CASELINK_BUILD_DIR:-$ROOT/build}"
export CASELINK_RUN_DIR="$CASELINK_BUILD_DIR/e2e-run"
export CASELINK_PORT_BASE=19400
export CASELINK_INGRESS_PORT=19480
export CASELINK_CONSOLE_PORT=19481
rm -rf "$CASELINK_RUN_DIR"
mkdir -p "$CASELINK_RUN_DIR"
OUT="$CASELINK_RUN_DIR/run.out"
trap 'bash scripts/run.sh --stop >/dev/null 2>&1' EXIT

bash scripts/run.sh --no-setup >"$OUT" 2>&1
status=$?
source tests/e2e/checks.sh

[[ "$status" == 0 ]] || fail "scripts/run.sh exited $status"
cases="$CASELINK_RUN_DIR/scenario.cases"
[[ "$(wc -l <"$cases" 2>/dev/null || echo 0)" == 4 ]] || fail "expected 4 cases in $cases"
grep -q $'\tFAILED\t' "$cases" 2>/dev/null && fail "the scenario's own check failed for: $(grep $'\tFAILED\t' "$cases" | cut -f1,2 | tr '\n' ' ')"

# Progress of the main job and of the scenario.
expect "progress of the six steps" '\[run 6/6\]'
expect "a referral published through the ingress" 'caselink\.referral\.v1\[[0-9]+\]@[0-9]+ via ingress'
expect "an event published through the SDK" 'caselink\.decision\.v1\[[0-9]+\]@[0-9]+ via sdk'
expect "the incomplete evidence set" 'caselink-evidence: RECEIPT_STATUS_INCOMPLETE missing: MATERIAL_CATEGORY_SITE_INSPECTION_RECORD'
expect "its supplement accepted" 'caselink-evidence: RECEIPT_STATUS_ACCEPTED'
expect "the missed deadline" 'alert ALERT_KIND_DEADLINE_OVERDUE'
expect "the 以罚代刑 supervision clue" 'alert ALERT_KIND_SUPERVISION_CLUE'
expect "mutual recognition" 'recognized by all parties at version [0-9]+'
# Each acknowledgement names the case by both parties' numbers (issue 15 §4), as the case's events
# stated them end to end (referral through the ingress, filing decision through the SDK). The
# scenario copies them from the snapshot, so this does not test the comparison (case_engine_test
# does).
expect "acknowledgements with both case numbers" 'acknowledges version [0-9]+ hash [0-9a-f]+…, case numbers 杭环移〔2026〕17号 / A3301002026000917'
# The ingress served the scenario over HTTPS (issue 15 §5), its certificate from the local CA.
expect "the ingress serves HTTPS" 'API on https://' "$CASELINK_RUN_DIR/caselink-ingress.log"
# The back-dated story races no timer: caselink-sync ran in event-time mode (issue 20 #7).
expect "caselink-sync in event-time mode" 'sync\.time_mode = event_time' "$CASELINK_RUN_DIR/caselink-sync.log"

# Signed events (docs/contracts/signing.md): run.sh runs every service with signing.verify:
# required, so the scenario ending as told means nothing valid was refused; caselinkctl shows
# who signed each event and that it verifies, custodially through the ingress and with the
# agency's own key through the SDK, and no signature that fails.
expect "an event signed custodially by the ingress, verified" 'custodial: caselink-ingress\): verified'
expect "an event signed with an agency's own key, verified" 'signed by ga-330100 \(ga-330100\.k1\): verified'
expect "an event signed by a caselink service, verified" 'signed by caselink-[a-z]+ \(caselink-[a-z]+\.k1\): verified'
grep -Eq 'FAILED [a-z_]+| unsigned( |$)' "$OUT" && fail "an event whose signature is missing or fails: $(grep -Em3 'FAILED [a-z_]+| unsigned( |$)' "$OUT")"

# caselinkctl's view of each case (the block after each '== <case id>' header).
section() { awk -v id="$1" '/^\x1b\[1m== /{on = index($0, id) > 0} on' "$OUT"; }
for key in env wage fraud land; do
  id="$(awk -F'\t' -v k="$key" '$2 == k {print $1}' "$cases" 2>/dev/null)"
  [[ -n "$id" ]] || { fail "no case for story key $key"; continue; }
  section "$id" >"$CASELINK_RUN_DIR/$key.show"
  case "$key" in
    env)
      expect "env: judged" 'JUDGED' "$CASELINK_RUN_DIR/$key.show"
      expect "env: timeline has the referral" 'CaseReferral' "$CASELINK_RUN_DIR/$key.show"
      expect "env: timeline has the judgment" 'CourtJudgment' "$CASELINK_RUN_DIR/$key.show"
      expect "env: hash chain verified" '[Hh]ash chain.*OK' "$CASELINK_RUN_DIR/$key.show"
      expect "env: both case numbers" 'numbers +agency 杭环移〔2026〕17号, police A3301002026000917' "$CASELINK_RUN_DIR/$key.show" ;;
    wage)
      expect "wage: under filing supervision" 'FILING_SUPERVISION' "$CASELINK_RUN_DIR/$key.show"
      expect "wage: the missed deadline shows" 'MISSED +police_filing_review' "$CASELINK_RUN_DIR/$key.show"
      expect "wage: hash chain verified" '[Hh]ash chain.*OK' "$CASELINK_RUN_DIR/$key.show" ;;
    fraud)
      expect "fraud: closed" 'CLOSED' "$CASELINK_RUN_DIR/$key.show"
      expect "fraud: procuratorial opinion in the timeline" 'ProcuratorialOpinion' "$CASELINK_RUN_DIR/$key.show"
      expect "fraud: penalty reported back" 'AdministrativePenaltyReported' "$CASELINK_RUN_DIR/$key.show" ;;
    land)
      expect "land: the supervision clue" 'SUPERVISION_CLUE' "$CASELINK_RUN_DIR/$key.show" ;;
  esac
done

finish "$CASELINK_RUN_DIR" "e2e scenario smoke: all checks passed ($(wc -l <"$cases") cases)"

#!/usr/bin/env bash
# e2e test of the main job on its default, secured broker (ctest: e2e_main_job_secure).
#
# Runs scripts/run.sh --no-setup with its own broker instance (deploy/local/kafka.sh --secure:
# TLS, SASL/SCRAM-SHA-512, deny-by-default ACLs from deploy/acls.yaml, on ports of its own), so
# every service, each party the scenario publishes for, and caselinkctl connect as their own
# principal. Checks that the scenario ends as its story says and caselinkctl shows the cases on
# that broker; that the broker really denies (an agency cannot read another agency's feedback
# topic, a client without credentials gets nothing); and that no password of the instance
# appears in any log or output. Needs the build, Kafka's jars and kcat (scripts/setup.sh).
set -uo pipefail
ROOT="${CASELINK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$ROOT"
# Its own broker: not the test broker of scripts/test.sh.
unset CASELINK_KAFKA_BOOTSTRAP KAFKA_BOOTSTRAP CASELINK_BOOTSTRAP CASELINK_KAFKA_CLIENT_DIR CASELINK_KAFKA_CLIENT_CONFIG_FILE
export CASELINK_BUILD_DIR="${CASELINK_BUILD_DIR:-$ROOT/build}"
export CASELINK_RUN_DIR="$CASELINK_BUILD_DIR/e2e-secure-run"
export CASELINK_KAFKA_NAME=e2e-secure
export CASELINK_KAFKA_PORT=19500
export CASELINK_PORT_BASE=19510
export CASELINK_INGRESS_PORT=19520
B="127.0.0.1:$CASELINK_KAFKA_PORT"
INST="$ROOT/.local/kafka/$CASELINK_KAFKA_NAME"
command -v kcat >/dev/null || { echo "FAIL: kcat not found (scripts/setup.sh installs it)"; exit 1; }

bash scripts/run.sh --stop --wipe >/dev/null 2>&1
rm -rf "$CASELINK_RUN_DIR" "$INST"
mkdir -p "$CASELINK_RUN_DIR"
OUT="$CASELINK_RUN_DIR/run.out"
trap 'bash scripts/run.sh --stop --wipe >/dev/null 2>&1' EXIT

source tests/e2e/checks.sh

bash scripts/run.sh --no-setup >"$OUT" 2>&1
status=$?
[[ "$status" == 0 ]] || fail "scripts/run.sh exited $status"
expect "the broker started secured" '\[run 2/6\].*TLS, SASL/SCRAM, ACLs deny by default'
expect "the ACL spec applied" '\[run 3/6\].*ACLs from deploy/acls.yaml'
cases="$CASELINK_RUN_DIR/scenario.cases"
[[ "$(wc -l <"$cases" 2>/dev/null || echo 0)" == 4 ]] || fail "expected 4 cases in $cases"
grep -q $'\tFAILED\t' "$cases" 2>/dev/null && fail "the scenario's own check failed for: $(grep $'\tFAILED\t' "$cases" | cut -f1,2 | tr '\n' ' ')"
expect "an event the police published through the SDK as their own principal" 'caselink\.decision\.v1\[[0-9]+\]@[0-9]+ via sdk'
expect "a referral through the ingress" 'caselink\.referral\.v1\[[0-9]+\]@[0-9]+ via ingress'
expect "caselinkctl read the cases as the operator" '[Hh]ash chain.*OK'
expect "mutual recognition" 'recognized by all parties at version [0-9]+'
for service in caselink-passthrough caselink-evidence caselink-feedback caselink-sync caselink-standards caselink-ingress \
  caselink-console caselink-classcase; do
  expect "$service connects as its own principal" "kafka: $B, SASL_SSL as $service \\(SCRAM-SHA-512\\).*/clients/$service\\.properties" \
    "$CASELINK_RUN_DIR/$service.log"
done

# The broker denies what deploy/acls.yaml does not grant (deploy/README.md, "Secured broker").
clients="$INST/clients"
kcat_as() { local f="$1"; shift; timeout 30 kcat -F "$f" -b "$B" "$@" 2>&1; }
out="$(kcat_as "$clients/sthjj-330100.properties" -C -t caselink.feedback.rsj-330100.v1 -o beginning -e -q -m 15)"
rc=$?
[[ $rc != 0 ]] && grep -q 'Topic authorization failed' <<<"$out" ||
  fail "sthjj-330100 reading rsj-330100's feedback topic was not refused (exit $rc): ${out:0:300}"
out="$(kcat_as "$clients/sthjj-330100.properties" -C -t caselink.feedback.sthjj-330100.v1 -o beginning -e -q -m 15)" ||
  fail "sthjj-330100 cannot read its own feedback topic: ${out:0:300}"
out="$(timeout 20 kcat -b "$B" -L -m 5 2>&1)" && fail "a client without TLS and credentials got metadata: ${out:0:300}"

# No password of the instance in any log or output (issue 15: secrets never in logs).
for f in "$clients"/*.properties; do
  [[ "$f" == *.java.properties ]] && continue
  pw="$(sed -n 's/^sasl.password=//p' "$f")"
  [[ -n "$pw" ]] || continue
  if grep -rlF -- "$pw" "$CASELINK_RUN_DIR" "$INST"/node-*/logs 2>/dev/null | grep -q .; then
    fail "the password of $(basename "$f" .properties) appears in $(grep -rlF -- "$pw" "$CASELINK_RUN_DIR" "$INST"/node-*/logs | head -3 | tr '\n' ' ')"
  fi
done

finish "$CASELINK_RUN_DIR" "e2e main job on the secured broker: all checks passed ($(wc -l <"$cases") cases)"

#!/usr/bin/env bash
# caselink — the one test command (README, .ci/run).
#
#   scripts/test.sh              set up (idempotent), start a private Kafka broker if none
#                                is given, build, run every ctest tier, stop what it started
#   scripts/test.sh -L unit      extra arguments go to ctest (e.g. only the unit tier)
#
# Environment:
#   CASELINK_KAFKA_BOOTSTRAP   use this running broker instead of starting one (e.g. 127.0.0.1:9092);
#                     KAFKA_BOOTSTRAP is a deprecated alias. A secured one needs
#                     CASELINK_KAFKA_CLIENT_CONFIG_FILE (a super user's librdkafka properties:
#                     tests create topics and groups of their own) and CASELINK_KAFKA_CLIENT_DIR
#                     (per-principal files, for the stacks run.sh starts), as kafka.sh writes them
#   CASELINK_TEST_KAFKA_PORT   port of the private test broker (default 19092; the demo uses 9092)
#   CASELINK_TEST_INSECURE=1   the private broker in plaintext (development only; by default it is
#                     secured like the main job's: TLS, SASL/SCRAM-SHA-512, deny-by-default ACLs)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PORT="${CASELINK_TEST_KAFKA_PORT:-19092}"
NAME="test"

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

echo "[test 1/4] setting up (packages, Kafka jars, build) — idempotent" >&2
bash scripts/setup.sh

STARTED=0
cleanup() {
  if [[ "$STARTED" == 1 ]]; then
    # Quietly, so ctest's summary stays the last thing printed.
    bash deploy/local/kafka.sh stop --name "$NAME" --wipe >"$ROOT/.local/kafka-test-stop.log" 2>&1 ||
      echo "[test] could not stop the private broker cleanly; see .local/kafka-test-stop.log" >&2
  fi
}
trap cleanup EXIT

# CASELINK_KAFKA_BOOTSTRAP names the broker; KAFKA_BOOTSTRAP is a deprecated alias (warns).
source scripts/kafka-bootstrap.sh
BOOTSTRAP="$(caselink_bootstrap)"
if [[ -z "$BOOTSTRAP" ]]; then
  SECURE_ARG=(--secure)
  [[ "${CASELINK_TEST_INSECURE:-0}" == 1 ]] && SECURE_ARG=(--insecure)
  echo "[test 2/4] starting a private Kafka broker (KRaft, 127.0.0.1:${PORT}$([[ "${SECURE_ARG[0]}" == --secure ]] && echo ", secured: TLS, SASL/SCRAM, ACLs" || echo ", PLAINTEXT: CASELINK_TEST_INSECURE=1"))" >&2
  bash deploy/local/kafka.sh stop --name "$NAME" --wipe >/dev/null 2>&1 || true
  STARTED=1
  BOOTSTRAP="$(bash deploy/local/kafka.sh start --name "$NAME" --port "$PORT" "${SECURE_ARG[@]}" | tail -n 1)"
  if [[ "${SECURE_ARG[0]}" == --secure ]]; then
    # Tests and tools connect as the instance's super user (they create topics, groups and
    # transactional ids of their own); the stacks run.sh starts for the e2e tests connect each
    # service and party as its own principal, with the ACLs of deploy/acls.yaml applied below.
    CASELINK_KAFKA_CLIENT_CONFIG_FILE="$(bash deploy/local/kafka.sh client-config --name "$NAME")"
    CASELINK_KAFKA_CLIENT_DIR="$(dirname "$CASELINK_KAFKA_CLIENT_CONFIG_FILE")"
    export CASELINK_KAFKA_CLIENT_CONFIG_FILE CASELINK_KAFKA_CLIENT_DIR
  fi
  # Our own broker, so the broker-outage tests (it_loop_faults, it_feedback) may kill it and
  # start it again; against a broker given in CASELINK_KAFKA_BOOTSTRAP they are skipped (and say so).
  export KAFKA_OUTAGE_STOP="bash $ROOT/deploy/local/kafka.sh kill-node 1 --name $NAME"
  export KAFKA_OUTAGE_START="bash $ROOT/deploy/local/kafka.sh start-node 1 --name $NAME"
else
  echo "[test 2/4] using the broker at ${BOOTSTRAP}" >&2
fi

# Every test, tool and test script reads CASELINK_KAFKA_BOOTSTRAP (scripts/kafka-bootstrap.sh,
# kafka::bootstrap_from_environment); nothing reads KAFKA_BOOTSTRAP any more but to warn.
export CASELINK_KAFKA_BOOTSTRAP="$BOOTSTRAP"
echo "[test 3/4] applying the topic spec deploy/topics.yaml to ${BOOTSTRAP}" >&2
build/bin/caselink-topics apply --spec deploy/topics.yaml --bootstrap "$BOOTSTRAP" >&2
if [[ -n "${CASELINK_KAFKA_CLIENT_DIR:-}" ]]; then
  echo "[test 3/4] applying the ACL spec deploy/acls.yaml" >&2
  build/bin/caselink-topics acls apply --spec deploy/acls.yaml --bootstrap "$BOOTSTRAP" \
    --kafka-libs "${CASELINK_KAFKA_LIBS:-$ROOT/deploy/kafka/libs}" >&2
fi

echo "[test 4/4] running ctest (unit, contract, integration, e2e)" >&2
set +e
ctest --test-dir build --output-on-failure -j2 "$@"
status=$?
set -e
exit "$status"

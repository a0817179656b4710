#!/usr/bin/env bash
# caselink benchmarks (never run by ctest). Numbers go to docs/performance.md as ratios
# against baselines measured in the same invocation on the same broker.
#
#   scripts/bench.sh [--records N]    default 200000
#
# Starts a private broker (instance 'bench', port 19392) unless KAFKA_BOOTSTRAP is set, runs
# Kafka's own ProducerPerformance (idempotent, acks=all) as the broker's ceiling, then the
# shared loop benchmark (idempotent produce, no-op transactional passthrough, validating
# passthrough), and stops what it started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RECORDS=200000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --records) RECORDS="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh >&2
STARTED=0
cleanup() { [[ "$STARTED" == 1 ]] && bash deploy/local/kafka.sh stop --name bench --wipe >&2 || true; }
trap cleanup EXIT
if [[ -z "${KAFKA_BOOTSTRAP:-}" ]]; then
  bash deploy/local/kafka.sh stop --name bench --wipe >/dev/null 2>&1 || true
  STARTED=1
  KAFKA_BOOTSTRAP="$(bash deploy/local/kafka.sh start --name bench --port 19392 | tail -n 1)"
fi
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; broker ${KAFKA_BOOTSTRAP} =="
echo "== commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown) =="

TOPIC="bench.producer-perf.$RANDOM"
java -cp "deploy/kafka/libs/*" -Dlog4j.configuration=file:deploy/local/log4j-tools.properties \
  org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" --create --topic "$TOPIC" \
  --partitions 6 --replication-factor 1 >/dev/null
echo "== Kafka ProducerPerformance (Java client, acks=all, idempotent, 300-byte records) =="
java -cp "deploy/kafka/libs/*" -Dlog4j.configuration=file:deploy/local/log4j-tools.properties \
  org.apache.kafka.tools.ProducerPerformance --topic "$TOPIC" --num-records "$RECORDS" \
  --record-size 300 --throughput -1 \
  --producer-props bootstrap.servers="$KAFKA_BOOTSTRAP" acks=all enable.idempotence=true linger.ms=5 | tail -n 1

echo "== caselink loop benchmark (librdkafka) =="
build/bench/loop/caselink-loop-bench --bootstrap "$KAFKA_BOOTSTRAP" --records "$RECORDS"

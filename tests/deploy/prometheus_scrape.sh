#!/usr/bin/env bash
# The real Prometheus server (Debian's `prometheus` package, scripts/setup.sh installs it) scrapes
# real caselink services on loopback: caselink-passthrough and caselink-sync, started here against
# the test broker (CASELINK_KAFKA_BOOTSTRAP, topics applied) in groups of their own. Prometheus
# runs with deploy/prometheus/alerts.yml and a scrape config like deploy/prometheus/prometheus.yml
# but on free ports, storage in a temp dir. Checked through its HTTP API, polled with a deadline:
# every target is up, the alert rules are loaded, and known series (caselink_ready,
# caselink_transaction_commit_duration_seconds, librdkafka statistics gauges of the consumer and
# the transactional producer) are scraped.
# Skipped (77) without a broker.
set -uo pipefail
ROOT="${CASELINK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BUILD="${CASELINK_BUILD_DIR:-$ROOT/build}"
cd "$ROOT"
BOOTSTRAP="${CASELINK_KAFKA_BOOTSTRAP:-${KAFKA_BOOTSTRAP:-}}"
if [[ -z "$BOOTSTRAP" ]]; then
  echo "SKIP: CASELINK_KAFKA_BOOTSTRAP is not set (scripts/test.sh starts a broker and sets it)"
  exit 77
fi
command -v prometheus >/dev/null || { echo "FAIL: prometheus not installed (scripts/setup.sh installs it)"; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for log in "$work"/*.log; do echo "--- end of $log"; tail -n 20 "$log"; done
  exit 1
}

# Free loopback ports: bound to port 0 and released (the OS does not hand them out again at once).
read -r prom_port pass_port sync_port < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
PY
)

start_service() {  # name binary config port
  local name="$1" binary="$2" config="$3" port="$4"
  [[ -x "$BUILD/$binary" ]] || fail "$BUILD/$binary not built"
  env CASELINK_KAFKA_BOOTSTRAP="$BOOTSTRAP" CASELINK_HTTP_PORT="$port" CASELINK_HTTP_BIND=127.0.0.1 \
    CASELINK_LOOP_GROUP_ID="prom-it-$name-$$" CASELINK_LOOP_AUTO_OFFSET_RESET=latest \
    "$BUILD/$binary" --config "$config" >"$work/$name.log" 2>&1 &
  pids+=($!)
}
start_service caselink-passthrough services/passthrough/caselink-passthrough deploy/config/passthrough.yaml "$pass_port"
start_service caselink-sync services/case-sync/caselink-sync deploy/config/case-sync.yaml "$sync_port"

cat >"$work/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$ROOT/deploy/prometheus/alerts.yml"]
scrape_configs:
  - job_name: caselink
    static_configs:
      - targets: ["127.0.0.1:$pass_port"]
        labels: {caselink_service: caselink-passthrough}
      - targets: ["127.0.0.1:$sync_port"]
        labels: {caselink_service: caselink-sync}
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)

api="http://127.0.0.1:$prom_port/api/v1"
# Polls until the Python check (reading the API's JSON on stdin) prints "ok", or the deadline.
wait_for() {  # what check path [curl arguments]
  local what="$1" check="$2" path="$3" deadline=$((SECONDS + 45)) last=""
  shift 3
  while ((SECONDS < deadline)); do
    last=$(curl -fsS --get "$api/$path" "$@" 2>&1 | python3 -c "$check" 2>&1) && [[ "$last" == ok ]] && {
      echo "ok: $what"; return 0; }
    sleep 0.5
  done
  fail "$what (last answer: ${last:0:400})"
}

wait_for "both targets up" '
import json, sys
targets = json.load(sys.stdin)["data"]["activeTargets"]
up = sorted(t["labels"]["caselink_service"] for t in targets if t["health"] == "up")
print("ok" if up == ["caselink-passthrough", "caselink-sync"] else [(t["scrapeUrl"], t["health"], t["lastError"]) for t in targets])' targets

wait_for "alert rules loaded" '
import json, sys
names = {r["name"] for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]}
need = {"CaselinkConsumerLagRising", "CaselinkDeadLettersGrowing", "CaselinkTransactionsAborting",
        "CaselinkDeadlinesOverdue", "CaselinkServiceNotReady", "CaselinkCaseDivergence"}
print("ok" if need <= names else sorted(need - names))' rules

series_of() {  # what query services...
  local what="$1" query="$2"; shift 2
  local want
  want=$(printf '"%s",' "$@")
  wait_for "$what" "
import json, sys
got = sorted({r[\"metric\"].get(\"service\") for r in json.load(sys.stdin)[\"data\"][\"result\"]})
print(\"ok\" if got == sorted([${want%,}]) else got)" query --data-urlencode "query=$query"
}
series_of "caselink_ready scraped from both" 'caselink_ready' caselink-passthrough caselink-sync
series_of "commit-time histogram scraped" 'caselink_transaction_commit_duration_seconds_count' \
  caselink-passthrough caselink-sync
series_of "librdkafka statistics scraped (broker round-trip)" \
  'max by (service) (caselink_kafka_broker_rtt_avg_seconds{client="consumer"})' caselink-passthrough caselink-sync
series_of "librdkafka statistics of the transactional producers" \
  'max by (service) (caselink_kafka_broker_up{client="producer"}) == 1' caselink-passthrough caselink-sync
echo "all checks passed"

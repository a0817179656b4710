#!/usr/bin/env bash
# The real Prometheus server (Debian's `prometheus` package, scripts/setup.sh installs it) scrapes
# the whole local stack: `scripts/run.sh --services-only` starts every caselink daemon against the
# test broker (CASELINK_KAFKA_BOOTSTRAP) with ports of its own (base 19450, ingress 19459), and
# Prometheus runs with deploy/prometheus/prometheus.yml itself — its targets moved from run.sh's
# default ports (9301-9308) to this stack's, scrape interval 1 s — and deploy/prometheus/alerts.yml,
# storage in a temp dir. Checked through its HTTP API, polled with a deadline: every target of the
# shipped config is up, the alert rules are loaded, and known series are scraped (caselink_ready
# and the transaction commit-time histogram from every daemon; the librdkafka statistics gauges of
# the consumer from every daemon with a transactional loop, of the producer from those and the
# ingress).
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
export CASELINK_BUILD_DIR="$BUILD" CASELINK_RUN_DIR="$BUILD/prometheus-scrape/run"
export CASELINK_PORT_BASE=19450 CASELINK_INGRESS_PORT=19459
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  bash scripts/run.sh --stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for log in "$work"/*.log "$CASELINK_RUN_DIR"/*.log; do [[ -f "$log" ]] && { echo "--- end of $log"; tail -n 20 "$log"; }; done
  exit 1
}

# A free loopback port for Prometheus: bound to port 0 and released.
prom_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

rm -rf "$CASELINK_RUN_DIR" && mkdir -p "$CASELINK_RUN_DIR"
bash scripts/run.sh --no-setup --services-only >"$work/run.log" 2>&1 || fail "scripts/run.sh --services-only failed"

# The shipped scrape config, pointed at this stack: 93NN -> 194(50+NN) for admin ports 9301-9308.
python3 - "$ROOT/deploy/prometheus/prometheus.yml" "$ROOT/deploy/prometheus/alerts.yml" >"$work/prometheus.yml" <<'PY' ||
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
text = re.sub(r"127\.0\.0\.1:93(0[1-9])", lambda m: "127.0.0.1:%d" % (19450 + int(m.group(1))), text)
text = re.sub(r"(scrape_interval|evaluation_interval): 15s", r"\1: 1s", text)
text = text.replace("  - alerts.yml", "  - " + sys.argv[2])
print(text)
PY
  fail "could not rewrite deploy/prometheus/prometheus.yml"
TARGETS=$(grep -c 'caselink_service:' "$work/prometheus.yml")
((TARGETS >= 8)) || fail "deploy/prometheus/prometheus.yml lists $TARGETS targets, expected every daemon"
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

SERVICES=$(sed -n 's/.*caselink_service: \(caselink-[a-z-]*\)}.*/\1/p' "$work/prometheus.yml" | sort | tr '\n' ' ')
wait_for "every target of deploy/prometheus/prometheus.yml up ($SERVICES)" "
import json, sys
targets = json.load(sys.stdin)['data']['activeTargets']
up = sorted(t['labels']['caselink_service'] for t in targets if t['health'] == 'up')
print('ok' if up == '$SERVICES'.split() else [(t['scrapeUrl'], t['health'], t['lastError']) for t in targets if t['health'] != 'up'])" targets

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
# shellcheck disable=SC2086
series_of "caselink_ready scraped from every daemon" 'caselink_ready' $SERVICES
LOOPS=(caselink-classcase caselink-evidence caselink-feedback caselink-passthrough caselink-standards caselink-sync)
# shellcheck disable=SC2086
series_of "commit-time histogram (declared by every daemon's metrics)" 'caselink_transaction_commit_duration_seconds_count' \
  $SERVICES
series_of "librdkafka statistics of the loops' consumers (broker round-trip)" \
  'max by (service) (caselink_kafka_broker_rtt_avg_seconds{client="consumer"})' "${LOOPS[@]}"
series_of "librdkafka statistics of the producers (the loops' transactional ones, the ingress's)" \
  'max by (service) (caselink_kafka_broker_up{client="producer"}) == 1' "${LOOPS[@]}" caselink-ingress
echo "all checks passed"

#!/usr/bin/env bash
# caselink benchmarks (never run by ctest). Numbers go to docs/performance.md as ratios
# against baselines measured in the same invocation on the same broker.
#
#   scripts/bench.sh [MODE] [--records N] [--cases N] [--runs R] [--build DIR] [--rate R] [--no-setup] [-- ARGS]
#
#   loop       (default; N default 200000) Kafka's own ProducerPerformance (idempotent,
#              acks=all) as the broker's ceiling, then the shared loop benchmark (idempotent
#              produce, no-op transactional passthrough, validating passthrough); after `--`
#              --signing adds the signed loop phases (see secure).
#   screening  (N default 1000000) bench/screening: N generated ROUTINE_SCREENING penalty
#              records (7 offences, provinces with their own figures) through the real
#              caselink-standards handler in the transactional loop, against the no-op
#              passthrough over the same records; checks assessments == N and clues == the
#              records made to meet a threshold (exit 3 otherwise); peak RSS.
#   e2e        (N default 12000 per path, --rate default 200/s, --runs R rounds, default 3)
#              end-to-end latency POST /v1/events -> caselink.feedback.<agency>.v1 through the
#              whole stack (started with scripts/run.sh from --build on this broker, ports
#              19401.., ingress 19480), against the same events published by the SDK; each path
#              first sends 10 s of uncounted events at the rate (-- --warmup-s S), even rounds
#              run the SDK path first; prints each round and the spread of the p99s; exits 3 if
#              any went missing.
#   ingress    (N = seconds per phase, default 10; --runs R rounds, default 3) the ingress against
#              the same events produced directly: one fresh caselink-ingress as deployed (HTTPS,
#              api.threads 2, deploy/config/ingress.yaml on this broker, bench events routed to
#              caselink.bench.in.v1, rate limits lifted), then per round single events and
#              batches of 100 ({"events": [...]}) over 64 and 256 keep-alive connections: saturated
#              accepted events/s, p50/p99 at half that rate, direct idempotent produce with as
#              many events in flight, and the ratio; round 1's first phase is the fresh ingress's
#              first (cold) run, reported like the others (docs/performance.md "Ingress").
#   ingress-tls (N = seconds per phase, default 10) the cost of TLS and custodial signing on
#              the ingress: caselink-ingress processes from deploy/config/ingress.yaml on this broker (bench
#              events routed to caselink.bench.in.v1, rate limits lifted, ephemeral ports), one
#              HTTPS (certificate from the local CA, scripts/tls.sh), one plain HTTP on loopback;
#              bench/ingress runs the same phases against both, plain first in each pair, and
#              prints https/http ratios; then a third, HTTPS and signing every event with the
#              agency's custodial Ed25519 key (scripts/keys.sh custody), against the other two
#              (docs/performance.md "TLS on the ingress" and "Signatures on the shared loop and
#              at the ingress").
#   takeover   (N = open cases, default 10000; --cases is the same; --runs R, default 3) kill -9
#              of one of two caselink-sync processes (bench/case-sync, takeover.h) holding N open
#              cases while new events keep arriving (100/s): the time from the kill until the
#              survivor has processed an event that arrived after the kill on every partition the
#              dead one held, per run, then min/median/max. The killed one is started again before
#              the next run, which kills the other. Prints the client settings and the broker's
#              transaction.abort.timed.out.transaction.cleanup.interval.ms; extra settings via
#              --kafka-property K=V / --loop-key K=V after `--` (e.g. -- --loop-key
#              transaction_timeout_ms=60000 --kafka-property session.timeout.ms=45000 for the
#              settings before issue 19; -- --takeover-standby for sync.standby_replicas in both,
#              each run starting once both instances' standby replicas are current, at most
#              1,000 state records behind; -- --takeover-steps S loads S events per case, 1-4,
#              default 4: each writes a state record, and 1 leaves what a compacted topic holds).
#              docs/performance.md "Takeover after kill -9".
#   peer       (N default 200000; --runs R rounds, default 3) caselink-passthrough with its defaults
#              against a Kafka Streams exactly_once_v2 no-op application (bench/streams-peer, built
#              here with Maven), same input, same commit interval (100 ms), order alternating by
#              round: launch -> first commit, events/s, peak RSS of each, and the ratio per round.
#              Extra settings for caselink after `--`: --caselink-env CASELINK_LOOP_COMMIT_EVERY_RECORDS=500
#              (docs/performance.md "Against Kafka Streams").
#   secure     (N default 200000; --runs R rounds, default 3) the cost of the secured broker on the
#              shared loop: the loop benchmark with --signing (idempotent produce of signed probes,
#              no-op and validating passthrough, then a re-emitting loop without and with
#              signatures: Ed25519 verification of each input, signing of each output) against
#              the plaintext bench broker and against a secured one started
#              beside it (instance 'bench-secure', port 19394: TLS + SASL/SCRAM-SHA-512 + ACLs
#              deny by default; the benchmark connects as its admin user through
#              CASELINK_KAFKA_CLIENT_CONFIG_FILE), one uncounted warm-up run against each, then the order alternating by round; prints
#              secured/plaintext per phase and round, signed/re-emitting on the plaintext broker
#              (signatures alone), secured signed / plaintext re-emitting (TLS + SASL + signatures
#              together), then per round, broker and loop phase its
#              transactions, the time in commit_transaction (p50/p99, share of the phase) and the
#              brokers' mean round trip (docs/performance.md "The secured broker").
#   services   (N default 100000 events per service; --runs R rounds, default 3) bench/services:
#              caselink-standards (N penalty records), caselink-feedback (N/6 cases of a referral
#              and five decisions) and caselink-evidence (N manifests of three items, blobs in a
#              local store, presence and size checked: without blob I/O) and caselink-classcase
#              (the same N penalty records), each binary launched
#              with a fresh group on its waiting input against caselink-passthrough's on the same
#              input, order alternating by round: launch -> first commit, -> all committed,
#              events/s once running and its ratio to the passthrough, peak RSS, CPU per 100,000
#              events; a launch that dead-letters anything fails the run. After `--`:
#              --services feedback (one or more), --kafka-property K=V
#              (docs/performance.md "Each service against the passthrough").
#
# Starts a private broker (instance 'bench', port 19392) unless CASELINK_KAFKA_BOOTSTRAP (deprecated:
# KAFKA_BOOTSTRAP) is set, runs the
# mode, and stops what it started. Binaries come from --build DIR (default build/, which
# scripts/setup.sh builds; another DIR must already hold the bench binary); --no-setup skips
# scripts/setup.sh (a machine already set up, the binaries already built).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODE=loop
RECORDS=""
BUILD=build
RATE=200
RUNS=3
SETUP=1
EXTRA=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    loop|screening|e2e|ingress|ingress-tls|takeover|peer|secure|services) MODE="$1"; shift ;;
    --records|--cases) RECORDS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    --build) BUILD="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --no-setup) SETUP=0; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$MODE" in
  loop) RECORDS="${RECORDS:-200000}"; NEEDS="$BUILD/bin/caselink-loop-bench" ;;
  screening) RECORDS="${RECORDS:-1000000}"; NEEDS="$BUILD/bin/caselink-screening-bench" ;;
  e2e) RECORDS="${RECORDS:-12000}"; NEEDS="$BUILD/bin/caselink-e2e-bench" ;;
  ingress|ingress-tls) RECORDS="${RECORDS:-10}"; NEEDS="$BUILD/bin/caselink-ingress-bench" ;;
  takeover) RECORDS="${RECORDS:-10000}"; NEEDS="$BUILD/bin/caselink-sync-bench" ;;
  peer) RECORDS="${RECORDS:-200000}"; NEEDS="$BUILD/bin/caselink-peer-bench" ;;
  secure) RECORDS="${RECORDS:-200000}"; NEEDS="$BUILD/bin/caselink-loop-bench" ;;
  services) RECORDS="${RECORDS:-100000}"; NEEDS="$BUILD/bin/caselink-services-bench" ;;
esac

# setup.sh builds build/; a tree in another --build directory is the caller's to build.
if [[ "$SETUP" == 0 ]]; then :
elif [[ "$BUILD" == build ]]; then bash scripts/setup.sh >&2; else bash scripts/setup.sh --no-build >&2; fi
if [[ ! -x "$NEEDS" ]]; then
  echo "bench.sh: $NEEDS not built (cmake --build $BUILD --target $(basename "$NEEDS"))" >&2
  exit 2
fi
STARTED=0
# e2e: the stack scripts/run.sh started on the bench broker (stopped before the broker).
E2E_ENV=(CASELINK_RUN_DIR="$ROOT/.local/bench-e2e" CASELINK_PORT_BASE=19400 CASELINK_INGRESS_PORT=19480 CASELINK_CONSOLE_PORT=19481
         CASELINK_BUILD_DIR="$BUILD")
STACK=0
SECURE_STARTED=0
TLS_WORK="$ROOT/.local/bench-ingress-tls"   # ingress and ingress-tls: their ingresses' files and pids
cleanup() {
  local f
  for f in "$TLS_WORK"/*.pid; do [[ -f "$f" ]] && kill -TERM "$(cat "$f")" 2>/dev/null; rm -f "$f"; done
  [[ "$STACK" == 1 ]] && { env "${E2E_ENV[@]}" CASELINK_KAFKA_BOOTSTRAP="$BOOTSTRAP" bash scripts/run.sh --stop >&2 || true; }
  [[ "$SECURE_STARTED" == 1 ]] && { bash deploy/local/kafka.sh stop --name bench-secure --wipe >&2 || true; }
  [[ "$STARTED" == 1 ]] && bash deploy/local/kafka.sh stop --name bench --wipe >&2 || true
}
trap cleanup EXIT
# CASELINK_KAFKA_BOOTSTRAP names the broker; KAFKA_BOOTSTRAP is a deprecated alias (warns).
source scripts/kafka-bootstrap.sh
BOOTSTRAP="$(caselink_bootstrap)"
if [[ -z "$BOOTSTRAP" ]]; then
  bash deploy/local/kafka.sh stop --name bench --wipe >/dev/null 2>&1 || true
  STARTED=1
  BOOTSTRAP="$(bash deploy/local/kafka.sh start --name bench --port 19392 --insecure | tail -n 1)"
  # Its own plaintext broker: another broker's client file (exported by the test command or the
  # chaos run) must not reach the benchmarks, the services or caselink-topics.
  unset CASELINK_KAFKA_CLIENT_CONFIG_FILE CASELINK_KAFKA_CLIENT_DIR
fi
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; broker ${BOOTSTRAP} =="
echo "== commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes') =="
echo "== load average: $(cut -d' ' -f1-3 /proc/loadavg) =="
# The machine's CPU time over the invocation (/proc/stat), printed after the load average at
# the end: on a virtual machine, time stolen by the host (steal) slows everything measured.
CPU_AT_START="$(head -1 /proc/stat)"
cpu_split() {
  printf '%s\n%s\n' "$CPU_AT_START" "$(head -1 /proc/stat)" | awk '
    NR == 1 { for (i = 2; i <= 9; i++) a[i] = $i }
    NR == 2 { for (i = 2; i <= 9; i++) { d[i] = $i - a[i]; t += d[i] }
              if (t > 0) printf "user+nice %.0f %%, system %.0f %%, idle+iowait %.0f %%, steal %.0f %%",
                100 * (d[2] + d[3]) / t, 100 * (d[4] + d[7] + d[8]) / t, 100 * (d[5] + d[6]) / t, 100 * d[9] / t }'
}

if [[ "$MODE" == e2e ]]; then
  # The whole stack on this broker (topics applied, every service ready; it also plays the demo
  # scenario, whose few records do not touch the bench's cases), then the bench against it.
  STACK=1
  mkdir -p .local/bench-e2e
  env "${E2E_ENV[@]}" CASELINK_KAFKA_BOOTSTRAP="$BOOTSTRAP" bash scripts/run.sh --no-setup >.local/bench-e2e/run.out 2>&1 \
    || echo "bench.sh: run.sh exited non-zero (scenario?); see .local/bench-e2e/run.out" >&2
  curl -sf -m 2 http://127.0.0.1:19406/readyz >/dev/null \
    || { echo "bench.sh: the ingress is not ready; see .local/bench-e2e/*.log" >&2; exit 1; }
  echo "== commit settings: $(grep -h -E 'commit_every' deploy/config/standards.yaml deploy/config/feedback.yaml \
    | tr -s ' ' | paste -sd ';' - || true) (none listed = loop defaults: commit_every_ms 100, commit_every_records 10000) =="
  "$NEEDS" --bootstrap "$BOOTSTRAP" --ingress 127.0.0.1:19480 --ingress-ca .local/bench-e2e/tls/ca.crt \
    --tokens-file deploy/config/demo-agency-tokens.yaml --agency sthjj-330100 --rate "$RATE" --events "$RECORDS" --rounds "$RUNS" \
    --sdk-signing-key .local/bench-e2e/keys/sthjj-330100/sthjj-330100.k1.pem --sdk-signing-key-id sthjj-330100.k1 \
    "${EXTRA[@]}" && status=0 || status=$?
  echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg); CPU over the run: $(cpu_split) =="
  exit "$status"
fi

# ingress-tls: one ingress, NAME (https|http|signed), with its ports in TLS_WORK/NAME.{port,admin}.
start_bench_ingress() {
  local name="$1"; shift
  env CASELINK_KAFKA_BOOTSTRAP="$BOOTSTRAP" CASELINK_API_PORT=0 CASELINK_API_PORT_FILE="$TLS_WORK/$name.port" \
    CASELINK_HTTP_PORT=0 CASELINK_HTTP_PORT_FILE="$TLS_WORK/$name.admin" CASELINK_BLOBS_PATH="$TLS_WORK/blobs" \
    CASELINK_LIMITS_RATE_PER_SECOND=1000000 CASELINK_LIMITS_BURST=1000000 \
    CASELINK_ROUTING_TOPIC_OVERRIDES=caselink.referral.v1=caselink.bench.in.v1 "$@" \
    "$BUILD/bin/caselink-ingress" --config deploy/config/ingress.yaml >"$TLS_WORK/$name.log" 2>&1 &
  echo $! >"$TLS_WORK/$name.pid"
}

wait_bench_ingress() {
  local i
  for i in $(seq 1 60); do
    [[ -s "$TLS_WORK/$1.admin" ]] && curl -sf -m 2 "http://127.0.0.1:$(cat "$TLS_WORK/$1.admin")/readyz" >/dev/null && return 0
    kill -0 "$(cat "$TLS_WORK/$1.pid")" 2>/dev/null || break
    sleep 1
  done
  echo "bench.sh: the $1 ingress is not ready; see $TLS_WORK/$1.log" >&2
  exit 1
}

if [[ "$MODE" == ingress ]]; then
  rm -rf "$TLS_WORK" && mkdir -p "$TLS_WORK"
  "$BUILD/bin/caselink-topics" apply --spec deploy/topics.yaml --bootstrap "$BOOTSTRAP" >"$TLS_WORK/topics.log" 2>&1
  bash scripts/tls.sh --ca "$ROOT/.local/kafka/bench" --out "$TLS_WORK/tls" caselink-ingress >/dev/null
  start_bench_ingress https CASELINK_API_TLS_CERT_FILE="$TLS_WORK/tls/caselink-ingress.crt" \
    CASELINK_API_TLS_KEY_FILE="$TLS_WORK/tls/caselink-ingress.key"
  wait_bench_ingress https
  echo "== a fresh ingress (HTTPS, api.threads 2) against direct produce: $RECORDS s per phase, $RUNS rounds =="
  status=0
  for round in $(seq 1 "$RUNS"); do
    for shape in "64 1" "256 1" "64 100" "256 100"; do
      read -r connections batch <<<"$shape"
      echo "-- round $round: $connections connections, $([[ $batch == 1 ]] && echo 'single events' || echo "batches of $batch")"
      "$NEEDS" --port "$(cat "$TLS_WORK/https.port")" --ca "$TLS_WORK/tls/ca.crt" --connections "$connections" \
        --batch "$batch" --seconds "$RECORDS" --bootstrap "$BOOTSTRAP" "${EXTRA[@]}" || status=1
    done
  done
  echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg); CPU over the run: $(cpu_split) =="
  exit "$status"
fi

if [[ "$MODE" == ingress-tls ]]; then
  rm -rf "$TLS_WORK" && mkdir -p "$TLS_WORK"
  "$BUILD/bin/caselink-topics" apply --spec deploy/topics.yaml --bootstrap "$BOOTSTRAP" >"$TLS_WORK/topics.log" 2>&1
  bash scripts/tls.sh --ca "$ROOT/.local/kafka/bench" --out "$TLS_WORK/tls" caselink-ingress >/dev/null
  start_bench_ingress https CASELINK_API_TLS_CERT_FILE="$TLS_WORK/tls/caselink-ingress.crt" \
    CASELINK_API_TLS_KEY_FILE="$TLS_WORK/tls/caselink-ingress.key"
  start_bench_ingress http CASELINK_API_TLS_ENABLED=false
  # The third signs every accepted event with the agency's key it holds in custody (as run.sh's).
  bash scripts/keys.sh --dir "$TLS_WORK/keys" custody caselink-ingress sthjj-330100 >/dev/null
  start_bench_ingress signed CASELINK_API_TLS_CERT_FILE="$TLS_WORK/tls/caselink-ingress.crt" \
    CASELINK_API_TLS_KEY_FILE="$TLS_WORK/tls/caselink-ingress.key" \
    CASELINK_SIGNING_REGISTRY_FILE="$TLS_WORK/keys/registry.yaml" CASELINK_SIGNING_KEY_DIR="$TLS_WORK/keys/caselink-ingress"
  wait_bench_ingress https
  wait_bench_ingress http
  wait_bench_ingress signed
  echo "== ingress: HTTPS vs plain HTTP, then HTTPS signing custodially; api.threads 2 each, $RECORDS s per phase =="
  "$NEEDS" --port "$(cat "$TLS_WORK/https.port")" --ca "$TLS_WORK/tls/ca.crt" \
    --plain-port "$(cat "$TLS_WORK/http.port")" --signed-port "$(cat "$TLS_WORK/signed.port")" \
    --seconds "$RECORDS" && status=0 || status=$?
  echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg); CPU over the run: $(cpu_split) =="
  exit "$status"
fi

if [[ "$MODE" == takeover ]]; then
  # What bounds the wait for a dead instance's open transaction on the broker side.
  interval="$(java -cp "deploy/kafka/libs/*" -Dlog4j.configuration=file:deploy/local/log4j-tools.properties \
    kafka.admin.ConfigCommand --bootstrap-server "$BOOTSTRAP" --describe --all --entity-type brokers \
    --entity-name 1 2>/dev/null | grep -o 'transaction.abort.timed.out.transaction.cleanup.interval.ms=[0-9]*' \
    | head -n 1 || true)"
  echo "== broker: ${interval:-transaction.abort.timed.out.transaction.cleanup.interval.ms unknown} =="
  echo "== caselink-sync takeover after kill -9: $RECORDS open cases, $RUNS runs =="
  "$NEEDS" --bootstrap "$BOOTSTRAP" --rules rules/deadlines --takeover-runs "$RUNS" --takeover-cases "$RECORDS" \
    "${EXTRA[@]}" && status=0 || status=$?
  echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg); CPU over the run: $(cpu_split) =="
  exit "$status"
fi

if [[ "$MODE" == services ]]; then
  echo "== each loop service's binary against caselink-passthrough's: $RECORDS events per service, $RUNS rounds =="
  "$NEEDS" --bootstrap "$BOOTSTRAP" --records "$RECORDS" --rounds "$RUNS" --rules rules \
    --bin-dir "$BUILD/bin" --work "$ROOT/.local/bench-services" "${EXTRA[@]}" && status=0 || status=$?
  echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg); CPU over the run: $(cpu_split) =="
  exit "$status"
fi

if [[ "$MODE" == peer ]]; then
  # Maven fetches Kafka Streams (the broker's version) once; target/classpath.txt lists its jars.
  mvn -B -q -ntp -Dstyle.color=never -f bench/streams-peer/pom.xml compile 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g' >&2
  echo "== caselink-passthrough (defaults) against the Kafka Streams peer: $RECORDS records, $RUNS rounds =="
  "$NEEDS" --bootstrap "$BOOTSTRAP" --records "$RECORDS" --rounds "$RUNS" \
    --passthrough "$BUILD/bin/caselink-passthrough" --work "$ROOT/.local/bench-peer" \
    --peer-classpath "bench/streams-peer/target/classes:$(cat bench/streams-peer/target/classpath.txt)" \
    "${EXTRA[@]}" && status=0 || status=$?
  echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg); CPU over the run: $(cpu_split) =="
  exit "$status"
fi

# secure: one loop-benchmark run against the plaintext or the secured broker, with --signing;
# prints its five rates (idempotent produce, no-op passthrough, validating passthrough,
# re-emitting unsigned, re-emitting verified and signed) on one line.
secure_bench_rates() {
  local out log="$ROOT/.local/bench-secure-$1.log"
  if [[ "$1" == plain ]]; then
    out="$(env -u CASELINK_KAFKA_CLIENT_CONFIG_FILE "$NEEDS" --bootstrap "$BOOTSTRAP" --records "$RECORDS" \
      --signing 2>"$log")" || return 1
  else
    out="$(CASELINK_KAFKA_CLIENT_CONFIG_FILE="$SECURE_CONFIG" "$NEEDS" --bootstrap "$SECURE_BOOTSTRAP" \
      --records "$RECORDS" --signing 2>"$log")" || return 1
  fi
  printf '%s\n' "$out" >"$ROOT/.local/bench-secure-$1.out"
  awk -F'|' '/idempotent produce/{p=$3} /no-op transactional/{n=$3} /validating passthrough/{v=$3}
    /re-emitting loop \(/{r=$3} /signed loop \(/{s=$3}
    END{gsub(/ /,"",p); gsub(/ /,"",n); gsub(/ /,"",v); gsub(/ /,"",r); gsub(/ /,"",s); print p, n, v, r, s}' <<<"$out"
}

if [[ "$MODE" == secure ]]; then
  bash deploy/local/kafka.sh stop --name bench-secure --wipe >/dev/null 2>&1 || true
  SECURE_STARTED=1
  SECURE_BOOTSTRAP="$(bash deploy/local/kafka.sh start --name bench-secure --port 19394 --secure | tail -n 1)"
  SECURE_CONFIG="$(bash deploy/local/kafka.sh client-config --name bench-secure)"
  echo "== the shared loop on a plaintext broker ($BOOTSTRAP) and a secured one ($SECURE_BOOTSTRAP, SASL_SSL as admin): $RECORDS records, $RUNS rounds =="
  echo "| round | broker | produce records/s | no-op loop records/s | validating loop records/s | re-emitting loop records/s | signed loop records/s |"
  echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"
  ratios=()
  timings=()
  # Both brokers are new: their first runs pay the JVM's JIT (about 10 CPU-s, measured), which
  # the secured broker's TLS path pays more of. One uncounted run against each first.
  echo "== warm-up: one run against each broker, not counted =="
  for which in plain secured; do
    secure_bench_rates "$which" >/dev/null ||
      { echo "bench.sh: the warm-up run against the $which broker failed; see .local/bench-secure-$which.log" >&2; exit 1; }
  done
  for round in $(seq 1 "$RUNS"); do
    order=(plain secured)
    (( round % 2 == 0 )) && order=(secured plain)
    declare -A rates=()
    for which in "${order[@]}"; do
      rates[$which]="$(secure_bench_rates "$which")"
      read -r p n v r s <<<"${rates[$which]}"
      [[ -n "$s" ]] || { echo "bench.sh: the loop benchmark failed against the $which broker; see .local/bench-secure-$which.log" >&2; exit 1; }
      echo "| $round | $which | $p | $n | $v | $r | $s |"
      # Where the loop phases' time went (the benchmark's second table), kept for after the rounds.
      while IFS= read -r row; do timings+=("| $round | $which ${row}"); done \
        < <(grep -E '^\| (no-op|validating|re-emitting|signed) loop \|' "$ROOT/.local/bench-secure-$which.out")
    done
    read -r pp pn pv pr ps <<<"${rates[plain]}"
    read -r sp sn sv sr ss <<<"${rates[secured]}"
    # The last two: signatures alone on the plaintext broker, and all of it (secured broker and
    # signatures) against the plaintext broker's unsigned re-emitting loop.
    ratios+=("$(awk -v a="$sp" -v b="$pp" -v c="$sn" -v d="$pn" -v e="$sv" -v f="$pv" -v g="$sr" -v h="$pr" \
      -v i="$ss" -v j="$ps" -v r="$round" \
      'BEGIN{printf "round %d secured/plaintext: produce %.2f, no-op loop %.2f, validating loop %.2f, re-emitting loop %.2f; plaintext signed/re-emitting %.2f; secured signed / plaintext re-emitting (TLS + SASL + signatures) %.2f", r, a/b, c/d, e/f, g/h, j/h, i/h}')")
    unset rates
  done
  printf '%s\n' "${ratios[@]}"
  echo
  echo "| round | broker | loop | transactions | records per transaction | commit_transaction p50 ms | p99 ms | share of the phase in commit_transaction | producer round trip ms (mean) | consumer round trip ms (mean) |"
  echo "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${timings[@]}"
  echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg); CPU over the run: $(cpu_split) =="
  exit 0
fi

if [[ "$MODE" == screening ]]; then
  echo "== caselink-standards bulk screening (bench/screening): $RECORDS administrative-penalty records =="
  "$NEEDS" --bootstrap "$BOOTSTRAP" --rules rules --records "$RECORDS" && status=0 || status=$?
  echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg); CPU over the run: $(cpu_split) =="
  exit "$status"
fi

TOPIC="bench.producer-perf.$RANDOM"
java -cp "deploy/kafka/libs/*" -Dlog4j.configuration=file:deploy/local/log4j-tools.properties \
  org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --create --topic "$TOPIC" \
  --partitions 6 --replication-factor 1 >/dev/null
echo "== Kafka ProducerPerformance (Java client, acks=all, idempotent, 300-byte records) =="
java -cp "deploy/kafka/libs/*" -Dlog4j.configuration=file:deploy/local/log4j-tools.properties \
  org.apache.kafka.tools.ProducerPerformance --topic "$TOPIC" --num-records "$RECORDS" \
  --record-size 300 --throughput -1 \
  --producer-props bootstrap.servers="$BOOTSTRAP" acks=all enable.idempotence=true linger.ms=5 | tail -n 1

echo "== caselink loop benchmark (librdkafka) =="
"$NEEDS" --bootstrap "$BOOTSTRAP" --records "$RECORDS" "${EXTRA[@]}"

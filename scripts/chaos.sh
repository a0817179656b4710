#!/usr/bin/env bash
# caselink — the chaos harness (issue 14 §1, docs/reliability.md): the whole pipeline on a
# 3-broker KRaft cluster under a seeded fault schedule, judged by an independent checker.
#
#   scripts/chaos.sh [--short|--long] [--seed N] [--keep] [--insecure]
#
#   --short   the CI-sized run (ctest chaos_short): 6 faults, a few minutes (default)
#   --long    >= 100 kill points, SIGSTOPs, leader-broker kills, the whole cluster stopped 30-60 s
#   --seed N  the fault schedule's seed (default 14); the same seed gives the same schedule
#   --keep    leave the cluster and the services running afterwards (to look around)
#   --insecure  the cluster in plaintext (development only)
#
# What it does: starts a private 3-node cluster (deploy/local/kafka.sh --nodes 3 --secure: TLS,
# SASL/SCRAM-SHA-512, deny-by-default ACLs, as the main job's broker), applies the topic spec
# with replication factor 3 and min.insync.replicas 2 and deploy/acls.yaml, starts every service
# (each as its own principal; every scenario party publishes as itself) with
# scripts/run.sh --services-only, plays one fault-free scenario run (the model), then keeps two
# lanes of caselink-scenario runs going (ingress + SDK: forward and reverse cases, evidence with
# blobs, penalty reports for screening, acknowledgements) while the faults are injected; killed
# services are started again with scripts/run.sh --start-service (what supervision does), and a
# supervisor starts again any service that exits on its own (reported in the figures). At
# the end tests/chaos/checker.py reads every topic read_committed and prints the fault schedule,
# the figures and the verdict. Exit 0 = PASS.
#
# Environment:
#   CASELINK_CHAOS_PORT   first port (default 19600): brokers P, P+2, P+4 (controllers +1),
#                         service admin ports P+11..P+17, ingress P+20, console P+21
#   CASELINK_CHAOS_SESSION_MS  the services' consumer session timeout (default 10000; librdkafka's
#                         default, and the shipped configs', is 45000)
#   CASELINK_BUILD_DIR    the build tree with the binaries (default build)
#   CASELINK_KAFKA_LIBS   the Kafka jars (default deploy/kafka/libs, as scripts/setup.sh makes them)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODE=short
SEED=14
KEEP=0
SECURE_ARG=(--secure)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --short) MODE=short ;;
    --long) MODE=long ;;
    --seed) shift; SEED="${1:?--seed needs a number}" ;;
    --keep) KEEP=1 ;;
    --insecure) SECURE_ARG=(--insecure) ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "chaos.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$SEED" =~ ^[0-9]+$ ]] || { echo "chaos.sh: --seed must be a number" >&2; exit 2; }

P="${CASELINK_CHAOS_PORT:-19600}"
NAME=chaos
export CASELINK_BUILD_DIR="${CASELINK_BUILD_DIR:-$ROOT/build}"
export CASELINK_RUN_DIR="$CASELINK_BUILD_DIR/chaos-run"
export CASELINK_PORT_BASE=$((P + 10))
export CASELINK_INGRESS_PORT=$((P + 20))
export CASELINK_CONSOLE_PORT=$((P + 21))
export CASELINK_REPLICATION_FACTOR=3
# The services' consumer session timeout is lowered from librdkafka's 45 s to 10 s: a kill -9's
# replacement joins the group only once the dead member's session has expired, and with 45 s the
# long run's 100+ kills would take over an hour. CASELINK_CHAOS_SESSION_MS=45000 measures the
# shipped default (docs/reliability.md).
SESSION_MS="${CASELINK_CHAOS_SESSION_MS:-10000}"
export CASELINK_KAFKA_PROPERTIES="session.timeout.ms=$SESSION_MS,heartbeat.interval.ms=$((SESSION_MS / 3))"
RUN="$CASELINK_RUN_DIR"
VENV="$ROOT/.local/clients-py"
PY="$VENV/bin/python"
STEP_TIMEOUT_MS=180000
SERVICES=(caselink-passthrough caselink-evidence caselink-feedback caselink-sync caselink-standards caselink-ingress)
ADMIN_OFFSET=([1]=caselink-passthrough [2]=caselink-evidence [3]=caselink-feedback [4]=caselink-sync
  [5]=caselink-standards [6]=caselink-ingress)
RANDOM="$SEED"   # bash's RANDOM is a seeded generator: the schedule is a function of the seed

log() { printf '[chaos +%5.1fs] %s\n' "$(elapsed)" "$*" >&2; }
T0="$EPOCHREALTIME"
elapsed() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
fault() { printf '%s\t%s\n' "$EPOCHREALTIME" "$*" >>"$RUN/faults.tsv"; log "FAULT $*"; }
figure() { printf '  %s\n' "$*" >>"$RUN/figures.txt"; log "$*"; }
# rand LO HI: R = a number in [LO, HI] from the seeded generator. Never in $(...): a subshell
# reseeds RANDOM, so the schedule would no longer follow from the seed.
rand() { R=$(( $1 + RANDOM % ($2 - $1 + 1) )); }

[[ -x "$CASELINK_BUILD_DIR/bin/caselink-scenario" ]] || {
  echo "chaos.sh: no $CASELINK_BUILD_DIR/bin/caselink-scenario (build the services first: scripts/run.sh does)" >&2
  exit 2; }
[[ -x "$VENV/bin/pip" ]] || { echo "chaos.sh: no Python venv at .local/clients-py (run scripts/setup.sh)" >&2; exit 2; }

cleanup() {
  touch "$RUN/stop" 2>/dev/null || true
  for pid in "${LANES[@]:-}" "${SUPERVISOR:-}"; do [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true; done
  if [[ "$KEEP" == 0 ]]; then
    bash scripts/run.sh --stop >/dev/null 2>&1 || true
    bash deploy/local/kafka.sh stop --name "$NAME" --wipe >/dev/null 2>&1 || true
  fi
}
LANES=()
trap cleanup EXIT

# The checker's own code path: clients/python's decoder and generated modules, installed into
# the clients' venv by the one installer the tests use (unless it holds this tree's already).
source tests/clients/python_venv.sh

log "seed $SEED, $MODE run; 3-node cluster on 127.0.0.1:$P,$((P + 2)),$((P + 4))$([[ "${SECURE_ARG[0]}" == --secure ]] && echo ", secured" || echo ", PLAINTEXT (--insecure)")"
# Its own cluster: the credentials of another broker (scripts/test.sh's) must not reach the
# services, the tools or run.sh; this cluster's are exported once it runs.
unset CASELINK_KAFKA_CLIENT_CONFIG_FILE CASELINK_KAFKA_CLIENT_DIR
bash scripts/run.sh --stop >/dev/null 2>&1 || true
bash deploy/local/kafka.sh stop --name "$NAME" --wipe >/dev/null 2>&1 || true
rm -rf "$RUN"
mkdir -p "$RUN"
# The one name the services, the tools and run.sh read (scripts/kafka-bootstrap.sh).
CASELINK_KAFKA_BOOTSTRAP="$(bash deploy/local/kafka.sh start --name "$NAME" --nodes 3 --port "$P" "${SECURE_ARG[@]}" \
  2>"$RUN/kafka.log" | tail -n 1)"
export CASELINK_KAFKA_BOOTSTRAP
if [[ "${SECURE_ARG[0]}" == --secure ]]; then
  # run.sh gives each service its principal's file from the directory and applies the ACLs; the
  # scenario's parties publish as themselves (play); the probes, the checker and the scenario's
  # watcher read as the cluster's super user.
  CASELINK_KAFKA_CLIENT_CONFIG_FILE="$(bash deploy/local/kafka.sh client-config --name "$NAME")"
  CASELINK_KAFKA_CLIENT_DIR="$(dirname "$CASELINK_KAFKA_CLIENT_CONFIG_FILE")"
  export CASELINK_KAFKA_CLIENT_CONFIG_FILE CASELINK_KAFKA_CLIENT_DIR
fi
log "cluster up: $CASELINK_KAFKA_BOOTSTRAP; topics with RF 3, min.insync.replicas 2; starting the services"
bash scripts/run.sh --no-setup --services-only >"$RUN/run.out" 2>&1 || { tail -n 30 "$RUN/run.out" >&2; exit 1; }

# One scenario run: RUN_ID; appends "run_id <TAB> exit <TAB> stderr" to runs.tsv; PLAYED = its exit.
# The SDK signs with the agencies' own keys that run.sh made under $RUN/keys: the services run
# with signing.verify: required, as in the main job; uploads are sealed to caselink-evidence's
# blob key, also made by run.sh.
play() {
  local id="$1" code=0
  "$CASELINK_BUILD_DIR/bin/caselink-scenario" --bootstrap "$CASELINK_KAFKA_BOOTSTRAP" \
    --blob-dir "$RUN/evidence-store" --blob-key "$RUN/keys/blob-store.x25519.pub" --ingress "127.0.0.1:$CASELINK_INGRESS_PORT" --ingress-ca "$RUN/tls/ca.crt" \
    --tokens-file deploy/config/demo-agency-tokens.yaml --signing-keys "$RUN/keys" \
    --run-id "$id" --step-timeout-ms "$STEP_TIMEOUT_MS" ${CASELINK_KAFKA_CLIENT_DIR:+--kafka-client-dir "$CASELINK_KAFKA_CLIENT_DIR"} \
    >"$RUN/$id.cases" 2>"$RUN/$id.err" || code=$?
  printf '%s\t%s\t%s\n' "$id" "$code" "$RUN/$id.err" >>"$RUN/runs.tsv"
  PLAYED="$code"
}

# A lane plays scenario runs one after another until the stop file appears.
lane() {
  local n=0
  while [[ ! -e "$RUN/stop" ]]; do
    n=$((n + 1))
    play "c$SEED-l$1-$n"
    [[ "$PLAYED" == 0 ]] || sleep 1   # a fault cut it short: the next run a moment later
  done
}

pid_of() { cat "$RUN/$1.pid"; }
# Waits until PID has exited (gone, or a zombie nobody reaps yet), so that run.sh --start-service
# does not take it for a running service.
await_dead() {
  local state
  while state="$(ps -o stat= -p "$1" 2>/dev/null)" && [[ -n "$state" && "$state" != Z* ]]; do sleep 0.05; done
}
restart() { bash scripts/run.sh --start-service "$1" >>"$RUN/restarts.log" 2>&1; }
admin_port() {
  local i
  for i in "${!ADMIN_OFFSET[@]}"; do
    if [[ "${ADMIN_OFFSET[$i]}" == "$1" ]]; then echo $((CASELINK_PORT_BASE + i)); fi
  done
}
# Waits (up to 180 s) until the service answers /readyz; prints the seconds it took from $2.
await_ready() {
  local port deadline=$((SECONDS + 180))
  port="$(admin_port "$1")"
  until curl -sf -m 2 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || { log "$1 not ready 180 s after its restart"; return 1; }
    sleep 0.2
  done
  since "$2"
}
# Waits (up to 300 s) until caselink-sync's output topic grows past $1; prints seconds since $2.
await_progress() {
  local before="$1" deadline=$((SECONDS + 300))
  until (( $("$PY" tests/chaos/probe.py "$CASELINK_KAFKA_BOOTSTRAP" end caselink.case.state.v1 2>/dev/null || echo 0) > before )); do
    (( SECONDS < deadline )) || { echo "never (300 s)"; return 0; }
    sleep 0.5
  done
  since "$2"
}

# True while PID runs (a zombie nobody has reaped yet counts as gone).
alive() {
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" && [[ -n "$state" && "$state" != Z* ]]
}

# The supervisor, what systemd's Restart=on-failure does in production (deploy/systemd): a
# service that exits on its own, and not because a fault just killed it (kill9 marks those and
# restarts them itself), is started again after a second. Each such exit is written to
# RUN/supervised.log with the service's last log line and shown in the figures: an unplanned
# exit is a finding to read, while what it would otherwise cost (the records the dead service
# never applies) is not the pipeline losing them.
supervise() {
  local pid_file svc pid
  while [[ ! -f "$RUN/supervisor.stop" ]]; do
    for pid_file in "$RUN"/*.pid; do
      [[ -f "$pid_file" ]] || continue
      svc="$(basename "$pid_file" .pid)"
      [[ -f "$RUN/$svc.fault" ]] && continue
      pid="$(cat "$pid_file" 2>/dev/null)" || continue
      [[ -n "$pid" ]] && ! alive "$pid" || continue
      [[ -f "$RUN/$svc.fault" ]] && continue   # a fault began while this was looked at
      printf '%s\t%s\t%s\n' "$EPOCHREALTIME" "$svc" "$(tail -n 1 "$RUN/$svc.log" 2>/dev/null | cut -c1-300)" \
        >>"$RUN/supervised.log"
      log "SUPERVISOR: $svc (pid $pid) exited on its own; starting it again"
      rm -f "$pid_file"
      sleep 1
      restart "$svc" || log "SUPERVISOR: could not start $svc again (see $RUN/restarts.log)"
    done
    sleep 1
  done
}

kill9() {
  local svc="$1" t
  t="$(now)"
  touch "$RUN/$svc.fault"   # the supervisor leaves this one to us
  fault "kill -9 $svc (pid $(pid_of "$svc"))"
  local pid
  pid="$(pid_of "$svc")"
  kill -KILL "$pid" 2>/dev/null || true
  await_dead "$pid"
  rm -f "$RUN/$svc.pid"   # dead (maybe a zombie nobody has reaped yet, which kill -0 still finds)
  rand 1 9
  sleep "0.$R"   # a supervisor's restart delay
  restart "$svc"
  local took
  took="$(await_ready "$svc" "$t")" || exit 1
  rm -f "$RUN/$svc.fault"
  [[ "$svc" == caselink-sync ]] && figure "kill -9 caselink-sync -> replacement ready (state restored): ${took} s"
  return 0
}

sigstop() {
  local svc="$1" secs="$2"
  fault "SIGSTOP $svc for $secs s (past the $((SESSION_MS / 1000)) s consumer session timeout), then SIGCONT"
  kill -STOP "$(pid_of "$svc")"
  sleep "$secs"   # the fault's length, not a wait for a condition
  kill -CONT "$(pid_of "$svc")"
  await_ready "$svc" "$(now)" >/dev/null || exit 1
}

kill_leader() {
  local node before t pause
  rand 0 5
  node="$("$PY" tests/chaos/probe.py "$CASELINK_KAFKA_BOOTSTRAP" leader caselink.case.state.v1 "$R")"
  rand 2 6
  pause="$R"
  before="$("$PY" tests/chaos/probe.py "$CASELINK_KAFKA_BOOTSTRAP" end caselink.case.state.v1)"
  t="$(now)"
  fault "kill -9 broker node $node (leader of a caselink.case.state.v1 partition)"
  bash deploy/local/kafka.sh kill-node "$node" --name "$NAME" >>"$RUN/kafka.log" 2>&1
  figure "leader broker $node lost -> pipeline moving again (caselink.case.state.v1 grows): $(await_progress "$before" "$t") s"
  sleep "$pause"   # how long the broker stays down after the pipeline moved on
  log "restarting broker node $node"
  bash deploy/local/kafka.sh start-node "$node" --name "$NAME" >>"$RUN/kafka.log" 2>&1
}

stop_cluster() {
  local secs="$1" before
  fault "the whole cluster stopped for $secs s"
  bash deploy/local/kafka.sh stop --name "$NAME" >>"$RUN/kafka.log" 2>&1
  sleep "$secs"   # the fault's length
  before="$(date +%s)"
  bash deploy/local/kafka.sh start --name "$NAME" >>"$RUN/kafka.log" 2>&1
  log "cluster back after $(( $(date +%s) - before )) s of start-up"
}

# The schedule, drawn from the seed: one fault at a time, a random pause before each.
schedule() {
  local kills=("$@") i pause
  for i in "${!kills[@]}"; do
    if [[ "$MODE" == short ]]; then rand 20 60; else rand 10 30; fi
    pause="$R"
    sleep "$((pause / 10)).$((pause % 10))"
    case "${kills[$i]}" in
      stop:*) sigstop "${kills[$i]#stop:}" $((SESSION_MS / 1000 + 5)) ;;
      leader) kill_leader ;;
      cluster) rand 30 60; stop_cluster "$R" ;;
      *) kill9 "${kills[$i]}" ;;
    esac
  done
}

log "fault-free baseline run (the model)"
: >"$RUN/runs.tsv"
: >"$RUN/faults.tsv"
: >"$RUN/figures.txt"
play "c$SEED-base"
if [[ "$PLAYED" != 0 ]]; then
  # The last lines say why (CI keeps only this output, not the run directory).
  echo "chaos.sh: the fault-free run failed (exit $PLAYED); the end of $RUN/c$SEED-base.err:" >&2
  tail -n 15 "$RUN/c$SEED-base.err" >&2
  exit 1
fi
fault "faults start (two scenario lanes running)"
rm -f "$RUN/supervisor.stop" "$RUN"/*.fault
: >"$RUN/supervised.log"
supervise & SUPERVISOR="$!"
for l in 1 2; do lane "$l" & LANES+=("$!"); done
sleep 3   # the lanes under way before the first fault (a point in the load, not a condition)

if [[ "$MODE" == short ]]; then
  FAULTS=(caselink-sync caselink-evidence "stop:caselink-standards" leader caselink-ingress caselink-feedback)
else
  # 110 slots: kill -9 of a random service, of which three become SIGSTOPs, three leader-broker
  # kills and one whole-cluster stop (>= 100 kill points: services and brokers).
  FAULTS=()
  for _ in $(seq 1 110); do rand 0 5; FAULTS+=("${SERVICES[$R]}"); done
  for lo in 5 40 75; do rand "$lo" $((lo + 30)); at="$R"; rand 1 5; FAULTS[$at]="stop:${SERVICES[$R]}"; done
  for lo in 10 45 80; do rand "$lo" $((lo + 25)); FAULTS[$R]=leader; done
  FAULTS[55]=cluster
fi
log "schedule (seed $SEED): ${FAULTS[*]}"
schedule "${FAULTS[@]}"
fault "faults end; lanes finish their current run"
touch "$RUN/stop"
for pid in "${LANES[@]}"; do wait "$pid" || true; done
LANES=()

exits="$(wc -l <"$RUN/supervised.log")"
figure "services that exited on their own and the supervisor started again: $exits$( ((exits == 0)) || \
  printf ' (%s)' "$(cut -f2,3 "$RUN/supervised.log" | tr '\t\n' ': ' | cut -c1-400)")"
failed_503="$(cat "$RUN"/c"$SEED"-l*.err | grep -c 'answered 503' || true)"
unreachable="$(cat "$RUN"/c"$SEED"-l*.err | grep -c 'unreachable' || true)"
figure "scenario runs cut short by an ingress 503: $failed_503; by the ingress being unreachable: $unreachable"
figure "faults injected: $(($(wc -l <"$RUN/faults.tsv") - 2)); scenario runs: $(wc -l <"$RUN/runs.tsv")"

log "checking (tests/chaos/checker.py; the supervisor keeps watching while it reads)"
set +e
"$PY" tests/chaos/checker.py --bootstrap "$CASELINK_KAFKA_BOOTSTRAP" --runs "$RUN/runs.tsv" --faults "$RUN/faults.tsv" \
  | tee "$RUN/verdict.txt"
status="${PIPESTATUS[0]}"
set -e
touch "$RUN/supervisor.stop"
echo "== figures (seed $SEED, $MODE; wall time $(elapsed) s)"
cat "$RUN/figures.txt"
exit "$status"

#!/usr/bin/env bash
# caselink — the main job: set up this machine, start a local Kafka broker, create the topics,
# start every service, play the linkage scenario, print each case and the console's address.
#
#   scripts/run.sh                 set up (idempotent), start everything, play the scenario,
#                                  print every case, leave the stack running for exploration
#   scripts/run.sh --stop          stop the services and the broker (data is kept)
#   scripts/run.sh --stop --wipe   ... and delete the broker's data and the evidence store
#   scripts/run.sh --status        show what runs; a service that died after run.sh started it
#                                  is reported DEAD with its last log lines (exit 3 when any
#                                  service is not running)
#   scripts/run.sh --then-stop     play the scenario, then stop everything
#   scripts/run.sh --no-setup      skip scripts/setup.sh (already set up and built)
#   scripts/run.sh --services-only start the broker (unless given), topics and services, then
#                                  return without playing the scenario (scripts/chaos.sh)
#   scripts/run.sh --start-service NAME
#                                  start one service again if it is not running (what
#                                  supervision would do; scripts/chaos.sh after a kill -9)
#   scripts/run.sh --insecure      the local broker in plaintext, without authentication or ACLs
#                                  (development only; instance 'dev' instead of 'local')
#
# The local broker is secured by default (deploy/local/kafka.sh --secure: TLS, SASL/SCRAM-SHA-512,
# deny-by-default ACLs from deploy/acls.yaml). Every service, each party the scenario publishes
# for, caselinkctl and the console connect as their own principal, with the client file kafka.sh
# writes per principal (.local/kafka/local/clients/<principal>.properties; passwords never on a
# command line or in the environment).
#
# Environment:
#   CASELINK_KAFKA_BOOTSTRAP  use this running broker instead of starting the local one
#                        (KAFKA_BOOTSTRAP: deprecated alias); plaintext unless
#                        CASELINK_KAFKA_CLIENT_DIR names its per-principal client files
#   CASELINK_KAFKA_CLIENT_DIR  with CASELINK_KAFKA_BOOTSTRAP: a directory of <principal>.properties
#                        (kafka.sh's clients/ layout, admin.properties included) for a secured broker
#   CASELINK_KAFKA_NAME  the local broker's instance name (default local; --insecure: dev)
#   CASELINK_KAFKA_PORT  port of the local broker (default 9092; the tests use 19092)
#   CASELINK_PORT_BASE   admin ports are base+1.. (default 9300: passthrough 9301 … ingress 9306;
#                        caselink-console's pages are on its admin port, 9307)
#   CASELINK_INGRESS_PORT  the ingress HTTPS API (default 8080; certificate from the local CA,
#                        scripts/tls.sh: clients trust CASELINK_RUN_DIR/tls/ca.crt)
#   CASELINK_RUN_DIR     pid files, logs and the evidence store (default .local/run)
#   CASELINK_BUILD_DIR   the build tree with the binaries (default build)
#   CASELINK_REPLICATION_FACTOR  passed to caselink-topics --replication-factor (a 3-broker
#                        cluster: 3, which also sets min.insync.replicas=2); default: the spec's
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PORT="${CASELINK_KAFKA_PORT:-9092}"
NAME=""     # the local broker instance (use_local_broker)
SECURE=0
RUN_DIR="${CASELINK_RUN_DIR:-$ROOT/.local/run}"
PORT_BASE="${CASELINK_PORT_BASE:-9300}"
INGRESS_PORT="${CASELINK_INGRESS_PORT:-8080}"
OWN_BROKER=1
# CASELINK_KAFKA_BOOTSTRAP names the broker; KAFKA_BOOTSTRAP is a deprecated alias (warns).
source scripts/kafka-bootstrap.sh
BOOTSTRAP="$(caselink_bootstrap)"
if [[ -n "$BOOTSTRAP" ]]; then
  OWN_BROKER=0
else
  BOOTSTRAP="127.0.0.1:${PORT}"
fi
# Per-principal client files (kafka.sh --secure's clients/ directory); empty: plaintext. Set for
# the local broker by use_local_broker, from the environment for a given one.
CLIENT_DIR="${CASELINK_KAFKA_CLIENT_DIR:-}"
BLOB_DIR="$RUN_DIR/evidence-store"
# Ed25519 keys and the key registry (scripts/keys.sh, docs/contracts/signing.md), made here on
# first run and never committed. Every service runs with signing.verify: required.
KEY_DIR="$RUN_DIR/keys"
# Parties with their own key: the caselink services that emit events, and the agencies the
# scenario publishes for through the SDK.
OWN_KEY_PARTIES="caselink-sync caselink-feedback caselink-standards caselink-evidence caselink-classcase
  sthjj-330100 rsj-330100 scjg-330100 zrzy-330100 ga-330100 jcy-330100 fy-330100"
# Agencies the ingress authenticates by token (deploy/config/ingress.yaml) and signs for.
CUSTODIAL_PARTIES="sthjj-330100 rsj-330100 scjg-330100 swj-330100 zrzy-330100 yjgl-330100"
# Evidence blobs are sealed at rest to caselink-evidence's X25519 key (scripts/keys.sh blob,
# docs/services/evidence.md "Blobs at rest"): writers get the public half, only it the private.
BLOB_PRIVATE_KEY="$KEY_DIR/caselink-evidence/blob-store.x25519.key"
BLOB_PUBLIC_KEY="$KEY_DIR/blob-store.x25519.pub"
# Procuratorates caselink-classcase issues class-case recommendations for (custodial keys,
# docs/services/classcase.md "Signing").
CLASSCASE_CUSTODIAL_PARTIES="jcy-330100"
BUILD="${CASELINK_BUILD_DIR:-$ROOT/build}"
# The ingress's HTTPS certificate (scripts/tls.sh), from the local CA of the broker instance (the
# one kafka.sh --secure uses); clients trust TLS_DIR/ca.crt.
TLS_DIR="$RUN_DIR/tls"

# name  binary (relative to build/)  config  admin port offset
SERVICES=(
  "caselink-passthrough bin/caselink-passthrough deploy/config/passthrough.yaml 1"
  "caselink-evidence bin/caselink-evidence deploy/config/evidence.yaml 2"
  "caselink-feedback bin/caselink-feedback deploy/config/feedback.yaml 3"
  "caselink-sync bin/caselink-sync deploy/config/case-sync.yaml 4"
  "caselink-standards bin/caselink-standards deploy/config/standards.yaml 5"
  "caselink-ingress bin/caselink-ingress deploy/config/ingress.yaml 6"
  "caselink-console bin/caselink-console deploy/config/console.yaml 7"
  "caselink-classcase bin/caselink-classcase deploy/config/classcase.yaml 8"
)

step() { printf '\n\033[1m[run %s] %s\033[0m\n' "$1" "$2" >&2; }

# Per-service environment: the broker, the admin port, and the one evidence store that the
# ingress writes, the SDK writes and caselink-evidence verifies against.
service_env() {
  local name="$1" port="$2"
  echo "CASELINK_KAFKA_BOOTSTRAP=$BOOTSTRAP CASELINK_HTTP_PORT=$port"
  [[ -n "$CLIENT_DIR" ]] && echo "CASELINK_KAFKA_CLIENT_CONFIG_FILE=$(client_file "$name")"
  echo "CASELINK_SIGNING_VERIFY=required CASELINK_SIGNING_REGISTRY_FILE=$KEY_DIR/registry.yaml"
  [[ -d "$KEY_DIR/$name" ]] && echo "CASELINK_SIGNING_KEY_DIR=$KEY_DIR/$name"
  # Static group membership (loop.group_instance_id): a service killed and started again (by
  # --start-service, as the chaos harness does) gets its partitions back at once.
  [[ "$name" != caselink-ingress && "$name" != caselink-console ]] && echo "CASELINK_LOOP_GROUP_INSTANCE_ID=$name-0"
  case "$name" in
    caselink-evidence) echo "CASELINK_EVIDENCE_STORE_PATH=$BLOB_DIR CASELINK_EVIDENCE_STORE_PRIVATE_KEY_FILE=$BLOB_PRIVATE_KEY" ;;
    caselink-ingress) echo "CASELINK_BLOBS_PATH=$BLOB_DIR CASELINK_BLOBS_PUBLIC_KEY_FILE=$BLOB_PUBLIC_KEY CASELINK_API_PORT=$INGRESS_PORT"
      echo "CASELINK_API_TLS_CERT_FILE=$TLS_DIR/caselink-ingress.crt CASELINK_API_TLS_KEY_FILE=$TLS_DIR/caselink-ingress.key" ;;
    # The scenario replays back-dated cases: timers on event time (the stream's watermark), not
    # the wall clock (docs/services/case-sync.md, "Time"). Set here, not in deploy/config, which
    # is the template for production configs.
    caselink-sync) echo "CASELINK_SYNC_TIME_MODE=event_time" ;;
    # The console's pages, and the readiness URLs of the others for its ops page.
    caselink-console) echo "CASELINK_OPS_SERVICES=$(ops_services)" ;;
    # It signs recommendations in the procuratorate's name with keys it holds in custody.
    caselink-classcase) echo "CASELINK_SIGNING_CUSTODIAN=caselink-classcase" ;;
  esac
}

# The client file of a principal; exits naming it when the broker has none (a principal that
# deploy/acls.yaml does not list, or an instance formatted before it was added).
client_file() {
  local f="$CLIENT_DIR/$1.properties"
  [[ -f "$f" ]] || { echo "run.sh: no broker credentials for principal '$1' ($f); see deploy/README.md, 'Adding an agency'" >&2; exit 1; }
  echo "$f"
}

# The local broker instance: secured as 'local' unless --insecure ('dev'); CASELINK_KAFKA_NAME
# overrides the name. Which one run.sh started is kept in RUN_DIR/broker.env, so --stop,
# --status and --start-service use it again.
use_local_broker() {
  local insecure="$1" action="$2"
  if [[ "$action" != run && -z "$insecure" && -f "$RUN_DIR/broker.env" ]]; then
    # shellcheck disable=SC1091
    source "$RUN_DIR/broker.env"
  else
    SECURE=1
    [[ "$insecure" == 1 ]] && SECURE=0
    NAME="${CASELINK_KAFKA_NAME:-$([[ $SECURE == 1 ]] && echo local || echo dev)}"
  fi
  CLIENT_DIR=""
  [[ "$SECURE" == 1 ]] && CLIENT_DIR="$ROOT/.local/kafka/$NAME/clients"
  return 0
}

# name=http://127.0.0.1:<admin port>/readyz,... for every service but the console itself.
ops_services() {
  local entry name offset list=""
  for entry in "${SERVICES[@]}"; do
    read -r name _ _ offset <<<"$entry"
    [[ "$name" == caselink-console ]] && continue
    list+="${list:+,}$name=http://127.0.0.1:$((PORT_BASE + offset))/readyz"
  done
  echo "$list"
}

stop_services() {
  for entry in "${SERVICES[@]}"; do
    read -r name _ _ _ <<<"$entry"
    local pid_file="$RUN_DIR/$name.pid"
    if [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
      echo "stopping $name (pid $(cat "$pid_file"))" >&2
      kill -TERM "$(cat "$pid_file")" 2>/dev/null || true
      for _ in $(seq 1 100); do
        kill -0 "$(cat "$pid_file")" 2>/dev/null || break
        sleep 0.2
      done
      kill -KILL "$(cat "$pid_file")" 2>/dev/null || true
    fi
    rm -f "$pid_file"
  done
}

# A pid file that names no live process: the service was started by this script and died
# (run.sh --stop removes the pid file of what it stops). Prints why and returns 1.
report_dead() {
  local name="$1" pid_file="$RUN_DIR/$1.pid"
  [[ -f "$pid_file" ]] || return 0
  kill -0 "$(cat "$pid_file")" 2>/dev/null && return 0
  printf '%-22s DEAD (pid %s exited; nothing restarts it here: deploy/systemd does); last log lines:\n' \
    "$name" "$(cat "$pid_file")"
  tail -n 10 "$RUN_DIR/$name.log" 2>/dev/null | sed 's/^/    /'
  return 1
}

# Every service started and still alive? Reports each dead one; returns 1 when any is dead.
check_alive() {
  local dead=0
  for entry in "${SERVICES[@]}"; do
    read -r name _ _ _ <<<"$entry"
    report_dead "$name" >&2 || dead=1
  done
  return "$dead"
}

status() {
  local all_running=1
  [[ "$OWN_BROKER" == 1 ]] && { bash deploy/local/kafka.sh status --name "$NAME" --port "$PORT" || all_running=0; }
  for entry in "${SERVICES[@]}"; do
    read -r name _ _ offset <<<"$entry"
    local port=$((PORT_BASE + offset))
    if [[ -f "$RUN_DIR/$name.pid" ]] && kill -0 "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null; then
      printf '%-22s running (pid %s)  http://127.0.0.1:%s/readyz -> %s\n' "$name" "$(cat "$RUN_DIR/$name.pid")" \
        "$port" "$(curl -s -m 2 "http://127.0.0.1:$port/readyz" || echo unreachable)"
    elif [[ -f "$RUN_DIR/$name.pid" ]]; then
      report_dead "$name" || true
      all_running=0
    else
      printf '%-22s stopped\n' "$name"
      all_running=0
    fi
  done
  [[ "$all_running" == 1 ]] || return 3
}

stop_all() {
  stop_services
  if [[ "$OWN_BROKER" == 1 ]]; then
    if [[ "${1:-}" == "--wipe" ]]; then
      bash deploy/local/kafka.sh stop --name "$NAME" --wipe
    else
      bash deploy/local/kafka.sh stop --name "$NAME"
    fi
  fi
  if [[ "${1:-}" == "--wipe" ]]; then rm -rf "$BLOB_DIR" "$RUN_DIR/broker.env"; fi
}

# Starts one service entry of SERVICES in the background; its pid goes to RUN_DIR/NAME.pid.
start_service() {
  local name binary config offset port
  read -r name binary config offset <<<"$1"
  port=$((PORT_BASE + offset))
  # shellcheck disable=SC2046
  env $(service_env "$name" "$port") nohup "$BUILD/$binary" --config "$config" >>"$RUN_DIR/$name.log" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
  printf '  %-22s pid %-7s admin http://127.0.0.1:%-5s log %s\n' "$name" "$!" "$port" "$RUN_DIR/$name.log" >&2
}

# Waits until one service entry answers /readyz (up to 120 s); exits 1 when it died or never did.
wait_ready() {
  local name offset port i
  read -r name _ _ offset <<<"$1"
  port=$((PORT_BASE + offset))
  printf '  waiting for %s to be ready ' "$name" >&2
  for i in $(seq 1 120); do
    if curl -sf -m 2 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
      echo " ready" >&2
      return 0
    fi
    if ! kill -0 "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null; then
      echo " FAILED (exited); last log lines:" >&2
      tail -n 20 "$RUN_DIR/$name.log" >&2
      exit 1
    fi
    printf '.' >&2
    sleep 1
  done
  echo " not ready after 120 s; see $RUN_DIR/$name.log" >&2
  exit 1
}

# --start-service NAME: start NAME unless its pid file names a live process.
start_one() {
  local entry
  for entry in "${SERVICES[@]}"; do
    [[ "${entry%% *}" == "$1" ]] || continue
    if [[ -f "$RUN_DIR/$1.pid" ]] && kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; then
      echo "$1 is running (pid $(cat "$RUN_DIR/$1.pid"))" >&2
      return 0
    fi
    mkdir -p "$RUN_DIR" "$BLOB_DIR"
    start_service "$entry"
    return 0
  done
  echo "run.sh: no service named '$1'" >&2
  return 2
}

SETUP=1
THEN_STOP=0
SERVICES_ONLY=0
INSECURE=""
ACTION=run
ACTION_ARG=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) sed -n '2,43p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --stop) ACTION=stop; if [[ "${2:-}" == --wipe ]]; then ACTION_ARG=--wipe; shift; fi ;;
    --status) ACTION=status ;;
    --no-setup) SETUP=0 ;;
    --then-stop) THEN_STOP=1 ;;
    --services-only) SERVICES_ONLY=1 ;;
    --insecure) INSECURE=1 ;;
    --start-service) ACTION=start-service; shift; ACTION_ARG="${1:-}" ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [[ "$OWN_BROKER" == 1 ]]; then use_local_broker "$INSECURE" "$ACTION"; fi
# Without per-principal files the run is plaintext: a client file another script exported (the
# test command's or the chaos run's super user) must not reach the tools or the services.
if [[ -z "$CLIENT_DIR" ]]; then unset CASELINK_KAFKA_CLIENT_CONFIG_FILE; fi
case "$ACTION" in
  stop) stop_all "$ACTION_ARG"; exit 0 ;;
  status) status && exit 0 || exit $? ;;
  start-service) start_one "$ACTION_ARG"; exit $? ;;
esac

if [[ "$SETUP" == 1 ]]; then
  step 1/6 "setting up this machine (packages, Kafka jars, build) — skipped where done"
  # Only what the main job runs: the services, caselink-topics, the scenario and caselinkctl
  # (scripts/test.sh builds the tests and benchmarks).
  bash scripts/setup.sh --targets "caselink-passthrough caselink-evidence caselink-feedback caselink-sync \
caselink-standards caselink-ingress caselink-console caselink-classcase caselink-topics caselink-scenario caselinkctl"
else
  step 1/6 "set-up skipped (--no-setup)"
fi

if [[ "$OWN_BROKER" == 1 ]]; then
  if [[ "$SECURE" == 1 ]]; then
    step 2/6 "starting the local Kafka broker (KRaft, ${BOOTSTRAP}; TLS, SASL/SCRAM, ACLs deny by default)"
    bash deploy/local/kafka.sh start --name "$NAME" --port "$PORT" --secure >/dev/null
  else
    step 2/6 "starting the local Kafka broker (KRaft, ${BOOTSTRAP}; --insecure: plaintext, no ACLs)"
    bash deploy/local/kafka.sh start --name "$NAME" --port "$PORT" --insecure >/dev/null
  fi
  mkdir -p "$RUN_DIR"
  printf 'NAME=%s\nSECURE=%s\n' "$NAME" "$SECURE" >"$RUN_DIR/broker.env"
else
  step 2/6 "using the broker at ${BOOTSTRAP}${CLIENT_DIR:+ (credentials from $CLIENT_DIR)}"
fi

# The admin (a super user of the broker config) applies topics and ACLs; caselinkctl, the
# read-only operator, reads for the scenario's watcher and the printout. Empty: plaintext.
ADMIN_CONFIG=()
OPERATOR_CONFIG=""
if [[ -n "$CLIENT_DIR" ]]; then
  admin_file="$(client_file admin)"
  ADMIN_CONFIG=(--client-config "$admin_file")
  OPERATOR_CONFIG="$(client_file caselinkctl)"
  for entry in "${SERVICES[@]}"; do client_file "${entry%% *}" >/dev/null; done
fi
if [[ -n "$CLIENT_DIR" ]]; then
  step 3/6 "creating topics from deploy/topics.yaml, ACLs from deploy/acls.yaml"
else
  step 3/6 "creating topics from deploy/topics.yaml"
fi
"$BUILD/bin/caselink-topics" apply --spec deploy/topics.yaml --bootstrap "$BOOTSTRAP" "${ADMIN_CONFIG[@]}" \
  ${CASELINK_REPLICATION_FACTOR:+--replication-factor "$CASELINK_REPLICATION_FACTOR"}
if [[ -n "$CLIENT_DIR" ]]; then
  # Transactional-id ACLs go through Kafka's own AclCommand (librdkafka 2.0 cannot manage them),
  # run from the broker's jars as the admin (its Java properties beside admin.properties).
  "$BUILD/bin/caselink-topics" acls apply --spec deploy/acls.yaml --bootstrap "$BOOTSTRAP" "${ADMIN_CONFIG[@]}" \
    --kafka-libs "${CASELINK_KAFKA_LIBS:-$ROOT/deploy/kafka/libs}"
fi

step 4/6 "starting the services"
mkdir -p "$RUN_DIR" "$BLOB_DIR"
# shellcheck disable=SC2086
bash scripts/keys.sh --dir "$KEY_DIR" own $OWN_KEY_PARTIES
# shellcheck disable=SC2086
bash scripts/keys.sh --dir "$KEY_DIR" custody caselink-ingress $CUSTODIAL_PARTIES
bash scripts/tls.sh --ca "$ROOT/.local/kafka/${NAME:-dev}" --out "$TLS_DIR" caselink-ingress >/dev/null
# shellcheck disable=SC2086
bash scripts/keys.sh --dir "$KEY_DIR" custody caselink-classcase $CLASSCASE_CUSTODIAL_PARTIES
bash scripts/keys.sh --dir "$KEY_DIR" blob caselink-evidence
stop_services
for entry in "${SERVICES[@]}"; do start_service "$entry"; done
for entry in "${SERVICES[@]}"; do wait_ready "$entry"; done
if [[ "$SERVICES_ONLY" == 1 ]]; then
  echo "run.sh: services started (--services-only); stop with: bash scripts/run.sh --stop" >&2
  exit 0
fi

step 5/6 "playing the linkage scenario (ingress + adapter SDK → Kafka → services)"
set +e
# The scenario publishes as each party with the party's own credentials (--kafka-client-dir) and
# watches the case topics as caselinkctl, the read-only operator.
SCENARIO_SECURITY=()
if [[ -n "$CLIENT_DIR" ]]; then SCENARIO_SECURITY=(--kafka-client-dir "$CLIENT_DIR"); fi
CASELINK_KAFKA_CLIENT_CONFIG_FILE="$OPERATOR_CONFIG" \
"$BUILD/bin/caselink-scenario" --bootstrap "$BOOTSTRAP" --blob-dir "$BLOB_DIR" --blob-key "$BLOB_PUBLIC_KEY" \
  --ingress "127.0.0.1:${INGRESS_PORT}" --ingress-ca "$TLS_DIR/ca.crt" --tokens-file deploy/config/demo-agency-tokens.yaml \
  --signing-keys "$KEY_DIR" "${SCENARIO_SECURITY[@]}" >"$RUN_DIR/scenario.cases"
scenario_status=$?
set -e

step 6/6 "the cases, as caselinkctl shows them"
while IFS=$'\t' read -r case_id key verdict title; do
  printf '\n\033[1m== %s  (%s, scenario check: %s)\033[0m\n%s\n' "$case_id" "$key" "$verdict" "$title"
  CASELINK_KAFKA_CLIENT_CONFIG_FILE="$OPERATOR_CONFIG" "$BUILD/bin/caselinkctl" case show "$case_id" \
    --bootstrap "$BOOTSTRAP" --key-registry "$KEY_DIR/registry.yaml" || true
done <"$RUN_DIR/scenario.cases"

# A service that crashed while the scenario ran would otherwise be left dead without a word.
services_alive=1
check_alive || services_alive=0

if [[ "$THEN_STOP" == 1 ]]; then
  step - "stopping (--then-stop)"
  stop_all
else
  kcat_hint="kcat -b ${BOOTSTRAP} -L"
  ctl_env=""
  if [[ -n "$OPERATOR_CONFIG" ]]; then
    kcat_hint="kcat -F ${OPERATOR_CONFIG} -L"
    ctl_env="CASELINK_KAFKA_CLIENT_CONFIG_FILE=${OPERATOR_CONFIG} "
  fi
  cat >&2 <<MSG

caselink is running:
  broker      ${BOOTSTRAP}   (${kcat_hint})${CLIENT_DIR:+
              secured: TLS, SASL/SCRAM, ACLs of deploy/acls.yaml; credentials per principal in ${CLIENT_DIR}}
  ingress     https://127.0.0.1:${INGRESS_PORT}/v1/events   (docs/api/ingress.openapi.yaml; curl --cacert ${TLS_DIR}/ca.crt)
  a case      ${ctl_env}build/bin/caselinkctl case show <case-id> --bootstrap ${BOOTSTRAP}
  services    bash scripts/run.sh --status
  stop        bash scripts/run.sh --stop        (add --wipe to delete the broker's data)

Open the console in a browser: http://127.0.0.1:$((PORT_BASE + 7))/   (cases, recommendations, ops)
MSG
fi
if [[ "$services_alive" == 0 ]]; then
  echo "run.sh: a service died (reported above); see $RUN_DIR/*.log" >&2
  exit 1
fi
if [[ "$scenario_status" != 0 ]]; then
  echo "run.sh: the scenario did not end as expected (exit $scenario_status); see the lines above and $RUN_DIR/*.log" >&2
  exit "$scenario_status"
fi

#!/usr/bin/env bash
# caselink — the main job: set up this machine, start a local Kafka broker, create the topics,
# start every service, and play the scenario.
#
#   scripts/run.sh           set up (idempotent), start everything, play the scenario, leave
#                            the stack running for exploration
#   scripts/run.sh --stop    stop the services and the broker (data is kept)
#   scripts/run.sh --stop --wipe   ... and delete the broker's data
#   scripts/run.sh --status  show what runs
#
# The local broker listens on 127.0.0.1:9092 (CASELINK_KAFKA_PORT to change); the tests use
# their own broker on 19092, so both can run at once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PORT="${CASELINK_KAFKA_PORT:-9092}"
NAME="dev"
RUN_DIR="$ROOT/.local/run"
BOOTSTRAP="127.0.0.1:${PORT}"

# service binary (relative to build/)  config file  admin port
SERVICES=(
  "services/passthrough/caselink-passthrough deploy/config/passthrough.yaml 9301"
)

step() { printf '\n\033[1m[run %s] %s\033[0m\n' "$1" "$2" >&2; }

stop_services() {
  for entry in "${SERVICES[@]}"; do
    read -r binary _ _ <<<"$entry"
    local name pid_file
    name="$(basename "$binary")"
    pid_file="$RUN_DIR/$name.pid"
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

status() {
  bash deploy/local/kafka.sh status --name "$NAME" --port "$PORT" || true
  for entry in "${SERVICES[@]}"; do
    read -r binary _ port <<<"$entry"
    local name
    name="$(basename "$binary")"
    if [[ -f "$RUN_DIR/$name.pid" ]] && kill -0 "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null; then
      printf '%-24s running (pid %s)  http://127.0.0.1:%s/readyz -> %s\n' "$name" "$(cat "$RUN_DIR/$name.pid")" \
        "$port" "$(curl -s -m 2 "http://127.0.0.1:$port/readyz" || echo unreachable)"
    else
      printf '%-24s stopped\n' "$name"
    fi
  done
}

case "${1:-}" in
  -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --stop)
    stop_services
    if [[ "${2:-}" == "--wipe" ]]; then
      bash deploy/local/kafka.sh stop --name "$NAME" --wipe
    else
      bash deploy/local/kafka.sh stop --name "$NAME"
    fi
    exit 0 ;;
  --status) status; exit 0 ;;
  "") ;;
  *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

step 1/5 "setting up this machine (packages, Kafka jars, build) — skipped where done"
bash scripts/setup.sh

step 2/5 "starting the local Kafka broker (KRaft, ${BOOTSTRAP})"
bash deploy/local/kafka.sh start --name "$NAME" --port "$PORT" >/dev/null

step 3/5 "creating topics from deploy/topics.yaml"
build/services/admin/caselink-topics apply --spec deploy/topics.yaml --bootstrap "$BOOTSTRAP"

step 4/5 "starting the services"
mkdir -p "$RUN_DIR"
stop_services
for entry in "${SERVICES[@]}"; do
  read -r binary config port <<<"$entry"
  name="$(basename "$binary")"
  CASELINK_KAFKA_BOOTSTRAP="$BOOTSTRAP" nohup "build/$binary" --config "$config" \
    >>"$RUN_DIR/$name.log" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
  printf '  %-24s pid %-7s log %s\n' "$name" "$!" ".local/run/$name.log" >&2
done
for entry in "${SERVICES[@]}"; do
  read -r binary _ port <<<"$entry"
  name="$(basename "$binary")"
  printf '  waiting for %s to be ready ' "$name" >&2
  for i in $(seq 1 120); do
    if curl -sf -m 2 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
      echo " ready" >&2
      break
    fi
    if ! kill -0 "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null; then
      echo " FAILED (exited); last log lines:" >&2
      tail -n 20 "$RUN_DIR/$name.log" >&2
      exit 1
    fi
    printf '.' >&2
    sleep 1
    [[ "$i" == 120 ]] && { echo " not ready after 120 s; see .local/run/$name.log" >&2; exit 1; }
  done
done

step 5/5 "scenario"
if [[ -x build/services/ctl/caselinkctl ]]; then
  build/services/ctl/caselinkctl scenario --bootstrap "$BOOTSTRAP"
else
  echo "  (the linkage scenario arrives with caselinkctl; see docs/status.md)" >&2
fi

cat >&2 <<MSG

caselink is running:
  broker      ${BOOTSTRAP}   (kcat -b ${BOOTSTRAP} -L)
  services    bash scripts/run.sh --status
  metrics     curl http://127.0.0.1:9301/metrics
  stop        bash scripts/run.sh --stop        (add --wipe to delete the broker's data)
MSG

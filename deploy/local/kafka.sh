#!/usr/bin/env bash
# caselink — run a local Apache Kafka 3.9 (KRaft, no ZooKeeper) from the jars that
# scripts/setup.sh fetched into deploy/kafka/libs. Loopback only. See deploy/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LIBS="${CASELINK_KAFKA_LIBS:-$ROOT/deploy/kafka/libs}"
LOG4J="$ROOT/deploy/local/log4j.properties"
BASE="$ROOT/.local/kafka"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
KCAT="${CASELINK_KCAT:-kcat}"   # readiness probe; without it a (slower) JVM probe is used
STOP_TIMEOUT=30
# Short-lived tool JVMs (StorageTool): C1 only and serial GC start about twice as fast.
TOOL_JVM_OPTS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC)
QUORUMLESS_GRACE=10

usage() {
  cat <<'EOF'
Usage: deploy/local/kafka.sh COMMAND [options]

Commands:
  start            start every node of the instance (formats storage on first start) and wait
                   until the broker(s) answer metadata requests; prints the bootstrap address
                   as the last line of stdout
  stop [--wipe]    SIGTERM every node, SIGKILL after 30 s; --wipe also deletes the instance's data
  status           one line per node; exit 0 if all nodes run, 3 otherwise
  bootstrap        print the bootstrap address (e.g. 127.0.0.1:9092)
  kill-node N      SIGKILL node N (failover tests on a 3-node cluster)
  start-node N     start node N again and wait until it is back in the cluster metadata
  client-config [PRINCIPAL]
                   secured instance only: print the path of PRINCIPAL's librdkafka client
                   properties file (default admin); e.g. kcat -F "$(kafka.sh client-config)"

Options:
  --name NAME      instance name (default local, the main job's secured instance, which
                   scripts/run.sh uses too; env CASELINK_KAFKA_NAME; run.sh --insecure uses dev);
                   data, logs and config in .local/kafka/NAME/
  --port P         client port of node 1 (default 9092; env CASELINK_KAFKA_PORT);
                   node i listens on P+2(i-1) (clients) and P+2(i-1)+1 (controller)
  --nodes 1|3      number of combined broker+controller nodes (default 1; env CASELINK_KAFKA_NODES)
  --heap SIZE      JVM -Xmx per node (default 512m; env CASELINK_KAFKA_HEAP)
  --timeout SEC    how long start waits for readiness (default 90; env CASELINK_KAFKA_TIMEOUT)
  --secure         TLS + SASL/SCRAM-SHA-512 + ACLs, deny by default: the DEFAULT for a new
                   instance (env CASELINK_KAFKA_SECURE=1). Generates a local CA, broker
                   certificates and one random password per principal under .local/kafka/NAME/
                   (see deploy/README.md); clients connect with `client-config PRINCIPAL`'s file
  --insecure       plaintext, no authentication, no ACLs (env CASELINK_KAFKA_SECURE=0):
                   development only (run.sh --insecure, the benchmarks' plaintext baselines)
  --acl-spec FILE  secured: the ACL spec whose principals get SCRAM users at first start
                   (default deploy/acls.yaml; env CASELINK_KAFKA_ACL_SPEC)
  --wipe           with stop: delete .local/kafka/NAME/ afterwards
  -h, --help       this help

Port, node count and --secure/--insecure are fixed when an instance is first started (recorded in
.local/kafka/NAME/instance.env); later commands reuse them. To change them: stop --wipe.

Examples:
  deploy/local/kafka.sh start                                  # 127.0.0.1:9092, SASL_SSL, ACLs deny by default
  deploy/local/kafka.sh start --name trio --nodes 3 --port 19092
  deploy/local/kafka.sh start --name plain --port 19192 --insecure  # development only
  kcat -F "$(deploy/local/kafka.sh client-config --name sec)" -L -b 127.0.0.1:19192
  deploy/local/kafka.sh kill-node 2 --name trio
  deploy/local/kafka.sh stop --wipe --name trio
EOF
}

log() { echo "[kafka.sh] $*" >&2; }
die() { echo "[kafka.sh] ERROR: $*" >&2; exit 1; }
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------------------------------------
# Arguments
CMD=""; ARG_N=""; WIPE=0; OPT_SECURE=""
OPT_NAME=""; OPT_PORT=""; OPT_NODES=""; OPT_HEAP=""; OPT_TIMEOUT=""; OPT_ACL_SPEC=""
need_val() { [[ $# -ge 2 && -n "$2" ]] || die "option $1 needs a value (see --help)"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --name)    need_val "$@"; OPT_NAME="$2"; shift 2 ;;
    --name=*)  OPT_NAME="${1#*=}"; shift ;;
    --port)    need_val "$@"; OPT_PORT="$2"; shift 2 ;;
    --port=*)  OPT_PORT="${1#*=}"; shift ;;
    --nodes)   need_val "$@"; OPT_NODES="$2"; shift 2 ;;
    --nodes=*) OPT_NODES="${1#*=}"; shift ;;
    --heap)    need_val "$@"; OPT_HEAP="$2"; shift 2 ;;
    --heap=*)  OPT_HEAP="${1#*=}"; shift ;;
    --timeout) need_val "$@"; OPT_TIMEOUT="$2"; shift 2 ;;
    --timeout=*) OPT_TIMEOUT="${1#*=}"; shift ;;
    --wipe)    WIPE=1; shift ;;
    --secure)  OPT_SECURE=1; shift ;;
    --insecure) OPT_SECURE=0; shift ;;
    --acl-spec) need_val "$@"; OPT_ACL_SPEC="$2"; shift 2 ;;
    --acl-spec=*) OPT_ACL_SPEC="${1#*=}"; shift ;;
    -h|--help|help) usage; exit 0 ;;
    -*)        die "unknown option: $1 (see --help)" ;;
    *)
      if [[ -z "$CMD" ]]; then CMD="$1"
      elif [[ -z "$ARG_N" ]]; then ARG_N="$1"
      else die "unexpected argument: $1 (see --help)"; fi
      shift ;;
  esac
done
[[ -n "$CMD" ]] || { usage >&2; exit 2; }

NAME="${OPT_NAME:-${CASELINK_KAFKA_NAME:-local}}"
[[ "$NAME" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "bad instance name: '$NAME'"
INST="$BASE/$NAME"
REQ_PORT="${OPT_PORT:-${CASELINK_KAFKA_PORT:-}}"
REQ_NODES="${OPT_NODES:-${CASELINK_KAFKA_NODES:-}}"
HEAP="${OPT_HEAP:-${CASELINK_KAFKA_HEAP:-512m}}"
TIMEOUT="${OPT_TIMEOUT:-${CASELINK_KAFKA_TIMEOUT:-90}}"
[[ "$HEAP" =~ ^[0-9]+[kKmMgG]?$ ]] || die "bad --heap: '$HEAP' (e.g. 512m, 1g)"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "bad --timeout: '$TIMEOUT'"

REQ_SECURE="${OPT_SECURE:-${CASELINK_KAFKA_SECURE:-}}"
[[ -z "$REQ_SECURE" || "$REQ_SECURE" == 0 || "$REQ_SECURE" == 1 ]] || die "CASELINK_KAFKA_SECURE must be 0 or 1"
ACL_SPEC="${OPT_ACL_SPEC:-${CASELINK_KAFKA_ACL_SPEC:-$ROOT/deploy/acls.yaml}}"

# Port, node count and security: recorded at first start, reused later; explicit conflicting
# values fail.
PORT=""; NODES=""; SECURE=""
if [[ -f "$INST/instance.env" ]]; then
  PORT="$(sed -n 's/^PORT=//p' "$INST/instance.env")"
  NODES="$(sed -n 's/^NODES=//p' "$INST/instance.env")"
  SECURE="$(sed -n 's/^SECURE=//p' "$INST/instance.env")"
  SECURE="${SECURE:-0}"   # instances created before --secure existed are plaintext
  if [[ "$REQ_SECURE" == 1 && "$SECURE" != 1 ]]; then
    die "instance '$NAME' was created plaintext (--insecure) (use another --name, or 'stop --wipe' it first)"
  fi
  if [[ "$REQ_SECURE" == 0 && "$SECURE" == 1 ]]; then
    die "instance '$NAME' was created secured, not --insecure (use another --name, or 'stop --wipe' it first)"
  fi
  if [[ -n "$REQ_PORT" && "$REQ_PORT" != "$PORT" ]]; then
    die "instance '$NAME' was created with port $PORT, not $REQ_PORT (use another --name, or 'stop --wipe' it first)"
  fi
  if [[ -n "$REQ_NODES" && "$REQ_NODES" != "$NODES" ]]; then
    die "instance '$NAME' was created with $NODES node(s), not $REQ_NODES (use another --name, or 'stop --wipe' it first)"
  fi
fi
PORT="${PORT:-${REQ_PORT:-9092}}"
NODES="${NODES:-${REQ_NODES:-1}}"
# A new instance is secured unless --insecure (issue 15: secure by default).
SECURE="${SECURE:-${REQ_SECURE:-1}}"
[[ "$PORT" =~ ^[0-9]+$ ]] && (( PORT >= 1024 && PORT + 2 * NODES <= 65535 )) || die "bad port: '$PORT'"
[[ "$NODES" == 1 || "$NODES" == 3 ]] || die "--nodes must be 1 or 3 (got '$NODES')"

# ---------------------------------------------------------------------------------------------
# Layout
SECRETS="$INST/secrets"        # --secure: CA key, node keystores, passwords (0700, files 0600)
CLIENTS="$INST/clients"        # --secure: one librdkafka properties file per principal (0600)
ADMIN_USER=admin               # super user, for tools (caselink-topics) and tests
BROKER_USER=caselink-broker    # the brokers' certificate principal and inter-broker SCRAM user
client_port() { echo $(( PORT + 2 * ($1 - 1) )); }
ctrl_port()   { echo $(( PORT + 2 * ($1 - 1) + 1 )); }
node_dir()    { echo "$INST/node-$1"; }
bootstrap() {
  local i out=""
  for (( i = 1; i <= NODES; i++ )); do out+="${out:+,}127.0.0.1:$(client_port "$i")"; done
  echo "$out"
}
voters() {
  local i out=""
  for (( i = 1; i <= NODES; i++ )); do out+="${out:+,}$i@127.0.0.1:$(ctrl_port "$i")"; done
  echo "$out"
}

# Extended-regex escape, for pgrep -f.
re_escape() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

# PIDs of node $1's broker JVM (matched on its server.properties path, so instances never clash).
node_pids() {
  pgrep -f -- "kafka\.Kafka $(re_escape "$(node_dir "$1")/server.properties")" 2>/dev/null || true
}
is_running() { [[ -n "$(node_pids "$1")" ]]; }
# Every broker JVM of this instance, whatever its node number.
instance_pids() {
  pgrep -f -- "kafka\.Kafka $(re_escape "$INST")/node-[0-9]+/server\.properties" 2>/dev/null || true
}

port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}
port_owner() {
  local line pid cmd other
  command -v ss >/dev/null 2>&1 || return 0
  line="$(ss -Hltnp "sport = :$1" 2>/dev/null | head -n1)"
  pid="$(grep -o 'pid=[0-9]*' <<<"$line" | head -n1 | cut -d= -f2 || true)"
  if [[ -n "$pid" && -r "/proc/$pid/cmdline" ]]; then
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
    other="$(grep -o "$(re_escape "$BASE")/[^/ ]*/node-" <<<"$cmd" | head -n1 || true)"
    if [[ -n "$other" ]]; then
      other="${other#"$BASE"/}"; echo " by caselink Kafka instance '${other%/node-}' (pid $pid)"
    else
      echo " by pid $pid: ${cmd:0:160}"
    fi
  fi
}

check_prereqs() {
  command -v "$JAVA" >/dev/null 2>&1 || die "java not found (run scripts/setup.sh)"
  compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null \
    || die "no Kafka jars in $LIBS (run scripts/setup.sh --no-build)"
  [[ -f "$LOG4J" ]] || die "missing $LOG4J"
}

# ---------------------------------------------------------------------------------------------
# Node lifecycle
plaintext_listener_props() {
  cat <<EOF
listeners=PLAINTEXT://127.0.0.1:$(client_port "$1"),CONTROLLER://127.0.0.1:$(ctrl_port "$1")
advertised.listeners=PLAINTEXT://127.0.0.1:$(client_port "$1")
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
EOF
}

# --secure: clients and brokers on SASL_SSL (SCRAM-SHA-512), the controller listener on mutual
# TLS. SCRAM cannot authenticate the controller listener: the credentials live in the metadata
# log that the controller quorum serves, so controllers (and brokers registering with them) must
# authenticate before that log is readable; KIP-900 bootstraps SCRAM for brokers only.
# The broker certificate's DN maps to the principal User:caselink-broker, which is also the
# inter-broker SCRAM user, so one principal is the brokers' super user.
secure_listener_props() {
  local i="$1"
  cat <<EOF
listeners=SASL_SSL://127.0.0.1:$(client_port "$i"),CONTROLLER://127.0.0.1:$(ctrl_port "$i")
advertised.listeners=SASL_SSL://127.0.0.1:$(client_port "$i")
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=CONTROLLER:SSL,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$BROKER_USER" password="$(cat "$SECRETS/broker.password")";
listener.name.controller.ssl.client.auth=required
ssl.keystore.type=PEM
ssl.keystore.location=$SECRETS/node-$i.pem
ssl.truststore.type=PEM
ssl.truststore.location=$INST/ca.crt
ssl.principal.mapping.rules=RULE:^CN=$BROKER_USER,O=caselink-local\$/$BROKER_USER/,DEFAULT
# Deny by default: only super users and principals with an ACL (deploy/acls.yaml) get in.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:$ADMIN_USER;User:$BROKER_USER
EOF
}

write_props() {
  local i="$1" d rf minisr
  d="$(node_dir "$i")"
  if (( NODES == 1 )); then rf=1; minisr=1; else rf=3; minisr=2; fi
  mkdir -p "$d/data" "$d/logs"
  # A secured node's properties hold the inter-broker password.
  if (( SECURE )); then install -m 600 /dev/null "$d/server.properties"; fi
  cat >"$d/server.properties" <<EOF
# Generated by deploy/local/kafka.sh on every start: edit the script, not this file.
# Instance '$NAME', node $i of $NODES. KRaft combined broker+controller, static quorum.
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$(voters)
controller.listener.names=CONTROLLER
$(if (( SECURE )); then secure_listener_props "$i"; else plaintext_listener_props "$i"; fi)
log.dirs=$d/data

# Topics are created by our tooling only, never by a stray producer or consumer.
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=3
default.replication.factor=$rf
min.insync.replicas=$minisr
unclean.leader.election.enable=false

# Internal topics. Fewer partitions than the default 50: quicker first group/transaction
# coordinator lookup on a 2-core machine; no effect on semantics.
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$minisr
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0

# How often the transaction coordinator looks for transactions past their timeout (Kafka's
# default: 10 s). A loop service killed with kill -9 leaves its transaction open; the instance
# taking over its partitions waits until it is aborted: loop.transaction_timeout_ms (5 s) plus
# up to this interval. 1 s keeps takeover within 10 s (docs/performance.md "Takeover after
# kill -9"); production brokers need the same setting (docs/operations.md).
transaction.abort.timed.out.transaction.cleanup.interval.ms=1000

# Retention: a development broker, keep 3 days and at most 1 GiB per partition.
log.retention.hours=72
log.retention.bytes=1073741824
log.segment.bytes=134217728
log.retention.check.interval.ms=300000
EOF
}

# ---------------------------------------------------------------------------------------------
# --secure: local CA, broker certificates, SCRAM users (all generated once per instance)

# The principals of the ACL spec: every "  - name: X" entry of its principals list.
acl_principals() {
  [[ -f "$ACL_SPEC" ]] || die "ACL spec not found: $ACL_SPEC (--acl-spec)"
  sed -n 's/^  - name: *"\{0,1\}\([A-Za-z0-9._-]*\)"\{0,1\} *\(#.*\)\{0,1\}$/\1/p' "$ACL_SPEC"
}

# EC P-256 keys: generated in milliseconds (RSA-2048 takes ~0.5 s each on this machine).
new_key_req() {  # $1 key out, $2 csr/cert out, $3 subject, extra openssl req args...
  local key="$1" out="$2" subj="$3"; shift 3
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$key" -out "$out" \
    -subj "$subj" "$@" 2>/dev/null
}

make_ca() {
  [[ -s "$INST/ca.crt" && -s "$SECRETS/ca.key" ]] && return 0
  new_key_req "$SECRETS/ca.key" "$INST/ca.crt" "/O=caselink-local/CN=caselink local CA ($NAME)" \
    -x509 -days 825 -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    || die "openssl: cannot create the local CA"
}

# Node i's keystore: PKCS#8 key + certificate + CA, PEM (ssl.keystore.type=PEM, KIP-651).
make_node_cert() {
  local i="$1" tmp="$SECRETS/node-$1"
  [[ -s "$SECRETS/node-$i.pem" ]] && return 0
  new_key_req "$tmp.key" "$tmp.csr" "/O=caselink-local/CN=$BROKER_USER" || die "openssl: node $i key"
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$tmp.ext"
  openssl x509 -req -in "$tmp.csr" -CA "$INST/ca.crt" -CAkey "$SECRETS/ca.key" -days 825 \
    -set_serial "0x$(openssl rand -hex 16)" -extfile "$tmp.ext" -out "$tmp.crt" 2>/dev/null \
    || die "openssl: cannot sign node $i's certificate"
  cat "$tmp.key" "$tmp.crt" "$INST/ca.crt" >"$SECRETS/node-$i.pem"
  rm -f "$tmp.key" "$tmp.csr" "$tmp.ext" "$tmp.crt"
}

# librdkafka keys (kcat -F, caselink-topics --client-config, kafka.properties of a service).
write_client_props() {
  local user="$1" password="$2" f="$CLIENTS/$1.properties"
  cat >"$f" <<EOF
# Generated by deploy/local/kafka.sh for instance '$NAME': principal User:$user. Secret: do not copy.
bootstrap.servers=$(bootstrap)
security.protocol=SASL_SSL
sasl.mechanisms=SCRAM-SHA-512
sasl.username=$user
sasl.password=$password
ssl.ca.location=$INST/ca.crt
EOF
}

# The same for Java tools (kafka-topics, kafka-acls, the JVM readiness probe): --command-config.
write_java_client_props() {
  local user="$1" password="$2"
  cat >"$CLIENTS/$user.java.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$user" password="$password";
ssl.truststore.type=PEM
ssl.truststore.location=$INST/ca.crt
EOF
}

# One random password per user (admin, the brokers, every principal of the ACL spec).
make_passwords() {
  local user pw
  [[ -s "$SECRETS/broker.password" ]] || openssl rand -hex 24 >"$SECRETS/broker.password"
  for user in "$ADMIN_USER" $(acl_principals); do
    [[ -s "$CLIENTS/$user.properties" ]] && continue
    [[ "$user" != "$BROKER_USER" ]] || die "$ACL_SPEC: '$BROKER_USER' is reserved for the brokers"
    # SCRAM users are bootstrapped when storage is formatted, i.e. once per instance.
    if [[ -f "$(node_dir 1)/data/meta.properties" ]]; then
      log "WARNING: principal '$user' is new in $ACL_SPEC but instance '$NAME' is already formatted:" \
        "it has no SCRAM user here (deploy/README.md, 'Adding an agency'; or stop --wipe)"
      continue
    fi
    pw="$(openssl rand -hex 24)"
    write_client_props "$user" "$pw"
    if [[ "$user" == "$ADMIN_USER" ]]; then write_java_client_props "$user" "$pw"; fi
  done
}

ensure_secure_material() {
  (( SECURE )) || return 0
  command -v openssl >/dev/null 2>&1 || die "openssl not found"
  local i old_umask
  old_umask="$(umask)"
  umask 077
  mkdir -p "$SECRETS" "$CLIENTS"
  make_ca
  for i in $(all_nodes); do make_node_cert "$i"; done
  make_passwords
  umask "$old_umask"
  chmod 644 "$INST/ca.crt"   # public: every client needs it
}

# StorageTool arguments that bootstrap the SCRAM users (KIP-900), in a 0600 @argfile so no
# password shows in the process list.
scram_argfile() {
  local f="$SECRETS/format.args" f2 user pw
  ( umask 077
    printf 'kafka.tools.StorageTool\nformat\n'
    printf -- '--add-scram\nSCRAM-SHA-512=[name=%s,password=%s]\n' "$BROKER_USER" "$(cat "$SECRETS/broker.password")"
    for f2 in "$CLIENTS"/*.properties; do
      [[ "$f2" == *.java.properties ]] && continue
      user="$(sed -n 's/^sasl.username=//p' "$f2")"; pw="$(sed -n 's/^sasl.password=//p' "$f2")"
      printf -- '--add-scram\nSCRAM-SHA-512=[name=%s,password=%s]\n' "$user" "$pw"
    done ) >"$f"
  echo "$f"
}

client_config_path() {
  local user="${1:-$ADMIN_USER}"
  (( SECURE )) || die "instance '$NAME' is plaintext (made with --insecure, or before 2026-12-05): no client config"
  [[ -f "$CLIENTS/$user.properties" ]] || die "no client config for principal '$user' in $CLIENTS"
  echo "$CLIENTS/$user.properties"
}

cluster_id() {
  if [[ ! -s "$INST/cluster.id" ]]; then
    local id
    id="$("$JAVA" "${TOOL_JVM_OPTS[@]}" -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
    [[ "$id" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "StorageTool random-uuid failed (got '$id')"
    echo "$id" >"$INST/cluster.id"
  fi
  cat "$INST/cluster.id"
}

# Formats the storage of the given nodes (those not formatted yet), in parallel.
format_nodes() {
  local cid="$1"; shift
  local i d pids=() todo=() main="kafka.tools.StorageTool format" argfile=""
  # The java launcher expands an @argfile only before the main class: the file holds both.
  if (( SECURE )); then argfile="$(scram_argfile)"; main="@$argfile"; fi
  for i in "$@"; do
    d="$(node_dir "$i")"
    [[ -f "$d/data/meta.properties" ]] && continue
    todo+=("$i")
    # shellcheck disable=SC2086  # $main: one word, or an @argfile (main class + SCRAM users)
    "$JAVA" "${TOOL_JVM_OPTS[@]}" -cp "$LIBS/*" -Dlog4j.configuration="file:$LOG4J" -Dkafka.logs.dir="$d/logs" \
      $main --ignore-formatted -t "$cid" -c "$d/server.properties" \
      >"$d/format.log" 2>&1 &
    pids+=("$!")
  done
  [[ ${#todo[@]} -gt 0 ]] || { rm -f "$argfile"; return 0; }
  log "formatting storage of node(s) ${todo[*]} (cluster id $cid)"
  local k rc=0
  for k in "${!pids[@]}"; do
    if ! wait "${pids[$k]}"; then
      rc=1; log "format of node ${todo[$k]} failed:"; sed 's/^/    /' "$(node_dir "${todo[$k]}")/format.log" >&2
    fi
  done
  rm -f "$argfile"
  (( rc == 0 )) || die "storage format failed"
}

launch_node() {
  local i="$1" d
  d="$(node_dir "$i")"
  # Where this start's log output begins (for tail_logs).
  stat -c %s "$d/logs/server.log" >"$d/start.offset" 2>/dev/null || echo 0 >"$d/start.offset"
  # setsid: own session, so the node survives the shell that started it and ^C in it.
  # Neither setsid nor nohup forks here, so $! is the JVM's pid.
  (
    cd "$d"
    exec setsid nohup "$JAVA" "-Xmx$HEAP" \
      -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
      -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      "-Dcaselink.kafka.instance=$NAME" \
      "-Dkafka.logs.dir=$d/logs" "-Dlog4j.configuration=file:$LOG4J" \
      -cp "$LIBS/*" kafka.Kafka "$d/server.properties"
  ) >"$d/node.out" 2>&1 </dev/null &
  echo "$!" >"$d/node.pid"
  log "node $i: started pid $! (clients 127.0.0.1:$(client_port "$i"), controller $(ctrl_port "$i"), heap $HEAP)"
}

# Fails (exit 1) unless every port of the given nodes is free.
check_ports() {
  local i p bad=0
  for i in "$@"; do
    for p in "$(client_port "$i")" "$(ctrl_port "$i")"; do
      if port_in_use "$p"; then
        log "port $p (node $i of instance '$NAME') is already in use$(port_owner "$p")"
        bad=1
      fi
    done
  done
  (( bad == 0 )) || die "cannot start: port(s) in use; pick another --port (and --name)"
}

tail_logs() {
  local i d off size
  for i in "$@"; do
    d="$(node_dir "$i")"
    if [[ -f "$d/logs/server.log" ]]; then
      off="$(cat "$d/start.offset" 2>/dev/null || echo 0)"
      size="$(stat -c %s "$d/logs/server.log")"
      (( off <= size )) || off=0            # the log rolled over since this start
      log "---- node $i: last lines of $d/logs/server.log (this start only, config dump left out)"
      tail -c "+$(( off + 1 ))" "$d/logs/server.log" | grep -v $'^\t' | tail -n 40 | sed 's/^/    /' >&2 || true
    fi
    if [[ -s "$d/node.out" ]]; then
      log "---- node $i: last lines of $d/node.out"
      tail -n 20 "$d/node.out" | sed 's/^/    /' >&2
    fi
  done
}

has_kcat() { command -v "$KCAT" >/dev/null 2>&1; }

# kcat / JVM tool arguments that authenticate as the admin on a secured instance.
kcat_auth() { if (( SECURE )); then printf '%s\n' -F "$CLIENTS/$ADMIN_USER.properties"; fi; }
java_auth() { if (( SECURE )); then printf '%s\n' --command-config "$CLIENTS/$ADMIN_USER.java.properties"; fi; }

# True when the client port of every node in "$@" accepts TCP connections.
all_accept() {
  local i
  for i in "$@"; do
    (exec 3<>"/dev/tcp/127.0.0.1/$(client_port "$i")") 2>/dev/null || return 1
  done
}

# Node ids listed in a metadata response from the cluster (one per line).
metadata_brokers() {
  local boot="$1"
  if has_kcat; then
    # "  broker 2 at 127.0.0.1:9094 (controller)"
    # shellcheck disable=SC2046
    timeout 15 "$KCAT" $(kcat_auth) -L -b "$boot" -m 5 2>/dev/null \
      | sed -n 's/^ *broker \([0-9]*\) at 127\.0\.0\.1:\([0-9]*\).*/\1 \2/p' || true
  else
    # Slower fallback: a JVM per probe. "127.0.0.1:9094 (id: 2 rack: null) -> ("
    # shellcheck disable=SC2046
    timeout 30 "$JAVA" "${TOOL_JVM_OPTS[@]}" -cp "$LIBS/*" kafka.admin.BrokerApiVersionsCommand --bootstrap-server "$boot" $(java_auth) 2>/dev/null \
      | sed -n 's/^127\.0\.0\.1:\([0-9]*\) (id: \([0-9]*\) rack.*/\2 \1/p' || true
  fi
}

# Nodes in "$@" missing from the metadata that node $1 itself serves (a node's metadata cache
# catches up with the controller on its own schedule, so each node is asked, not just any one:
# a client such as caselink-topics may land on the slowest).
missing_at() {
  local at="$1" listed i; shift
  listed="$(metadata_brokers "127.0.0.1:$(client_port "$at")")"
  for i in "$@"; do
    grep -qx "$i $(client_port "$i")" <<<"$listed" || echo "$i"
  done
}

# Waits until every node in "$@" lists every node in "$@" (with its own address) in the
# metadata it serves.
wait_ready() {
  local t0="$1"; shift
  local deadline=$(( SECONDS + TIMEOUT )) i j missing
  while :; do
    for i in "$@"; do
      if ! is_running "$i"; then
        log "node $i of instance '$NAME' exited during startup"
        tail_logs "$i"
        return 1
      fi
    done
    # Cheap TCP probe first: kcat against a closed port sits in librdkafka's reconnect backoff.
    missing=("$@")
    if all_accept "$@"; then
      missing=()
      for j in "$@"; do
        while read -r i; do
          [[ -z "$i" || " ${missing[*]} " == *" $i "* ]] || missing+=("$i")
        done < <(missing_at "$j" "$@")
      done
    fi
    if [[ ${#missing[@]} -eq 0 ]]; then
      log "instance '$NAME' ready: node(s) $* answer metadata requests ($(since "$t0") s)"
      return 0
    fi
    if (( SECONDS >= deadline )); then
      log "timed out after ${TIMEOUT} s waiting for node(s) ${missing[*]} to appear in the cluster metadata"
      tail_logs "${missing[@]}"
      return 1
    fi
    sleep 0.2
  done
}

# SIGTERM, wait up to STOP_TIMEOUT, then SIGKILL. Args: node numbers.
stop_nodes() {
  local i pids=() p
  for i in "$@"; do
    for p in $(node_pids "$i"); do pids+=("$p"); done
  done
  [[ ${#pids[@]} -gt 0 ]] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local deadline=$(( SECONDS + STOP_TIMEOUT )) alive majority=$(( NODES / 2 + 1 )) lost_at=""
  while :; do
    alive=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    [[ ${#alive[@]} -eq 0 ]] && break
    # Without a controller majority a node's controlled shutdown cannot complete and it hangs
    # until SIGKILL: give it QUORUMLESS_GRACE seconds, not the full STOP_TIMEOUT.
    if (( NODES > 1 )) && (( $(instance_pids | wc -l) < majority )); then
      lost_at="${lost_at:-$SECONDS}"
      if (( SECONDS - lost_at >= QUORUMLESS_GRACE )); then
        log "controller quorum lost, pid(s) ${alive[*]} cannot finish a controlled shutdown; sending SIGKILL"
        kill -KILL "${alive[@]}" 2>/dev/null || true
        sleep 0.5
        break
      fi
    fi
    if (( SECONDS >= deadline )); then
      log "still running after ${STOP_TIMEOUT} s: pid(s) ${alive[*]}; sending SIGKILL"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.25
  done
}

all_nodes() { seq 1 "$NODES"; }

# ---------------------------------------------------------------------------------------------
# Commands
cmd_start() {
  local t0 i to_start=() cid
  t0="$(now)"
  for i in $(all_nodes); do
    if is_running "$i"; then
      log "node $i already running (pid $(node_pids "$i" | tr '\n' ' ' | sed 's/ $//'))"
    else
      to_start+=("$i")
    fi
  done
  if [[ ${#to_start[@]} -eq 0 ]]; then
    log "instance '$NAME' is already running"
    bootstrap
    return 0
  fi
  check_prereqs
  check_ports "${to_start[@]}"
  mkdir -p "$INST"
  if [[ ! -f "$INST/instance.env" ]]; then
    printf 'PORT=%s\nNODES=%s\nSECURE=%s\n' "$PORT" "$NODES" "$SECURE" >"$INST/instance.env"
  fi
  ensure_secure_material
  for i in "${to_start[@]}"; do write_props "$i"; done
  cid="$(cluster_id)"
  format_nodes "$cid" "${to_start[@]}"
  log "starting instance '$NAME' ($NODES node(s), data in $INST)"
  for i in "${to_start[@]}"; do launch_node "$i"; done
  if ! wait_ready "$t0" $(all_nodes); then
    log "stopping the node(s) this command started: ${to_start[*]}"
    stop_nodes "${to_start[@]}"
    die "instance '$NAME' did not become ready"
  fi
  if (( SECURE )); then
    log "secured (SASL_SSL, SCRAM-SHA-512, ACLs deny by default); admin client config: $CLIENTS/$ADMIN_USER.properties"
  fi
  bootstrap
}

cmd_stop() {
  local t0 pids d
  t0="$(now)"
  if [[ ! -d "$INST" ]]; then
    log "instance '$NAME' does not exist (nothing to stop)"
    return 0
  fi
  pids="$(instance_pids | tr '\n' ' ' | sed 's/ $//')"
  if [[ -n "$pids" ]]; then
    log "stopping instance '$NAME' (pid(s) $pids)"
    # Every node present on disk, even if instance.env were lost.
    local nodes=()
    for d in "$INST"/node-*; do [[ -d "$d" ]] && nodes+=("${d##*-}"); done
    stop_nodes "${nodes[@]}"
    # Anything left that the node dirs did not match (should not happen).
    pids="$(instance_pids | tr '\n' ' ')"
    if [[ -n "${pids// /}" ]]; then
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
      sleep 0.5
    fi
    [[ -z "$(instance_pids)" ]] || die "could not stop every node of '$NAME': $(instance_pids | tr '\n' ' ')"
    log "stopped ($(since "$t0") s)"
  else
    log "instance '$NAME' is not running"
  fi
  rm -f "$INST"/node-*/node.pid
  if (( WIPE )); then
    [[ "$INST" == "$BASE/"?* ]] || die "refusing to wipe '$INST'"
    rm -rf -- "$INST"
    log "wiped $INST"
  fi
}

cmd_status() {
  local i all=1 pids listed="" answering
  if [[ ! -d "$INST" ]]; then
    echo "instance '$NAME': not created ($INST)"
    return 3
  fi
  echo "instance '$NAME': $NODES node(s), bootstrap $(bootstrap), data $INST$( (( SECURE )) && echo ", secured (SASL_SSL)")"
  for i in $(all_nodes); do is_running "$i" || all=0; done
  if (( all )) && has_kcat; then
    # shellcheck disable=SC2046
    listed="$(timeout 5 "$KCAT" $(kcat_auth) -L -b "$(bootstrap)" -m 2 2>/dev/null \
      | sed -n 's/^ *broker \([0-9]*\) at 127\.0\.0\.1:\([0-9]*\).*/\1 \2/p' || true)"
  fi
  for i in $(all_nodes); do
    pids="$(node_pids "$i" | tr '\n' ' ' | sed 's/ $//')"
    if [[ -n "$pids" ]]; then
      answering=""
      if (( all )) && has_kcat; then
        if grep -qx "$i $(client_port "$i")" <<<"$listed"; then answering=", in cluster metadata"
        else answering=", not (yet) in cluster metadata"; fi
      fi
      echo "node $i  127.0.0.1:$(client_port "$i")  running (pid $pids$answering)"
    else
      echo "node $i  127.0.0.1:$(client_port "$i")  stopped"
    fi
  done
  (( all )) && return 0 || return 3
}

node_arg() {
  [[ "$ARG_N" =~ ^[0-9]+$ ]] && (( ARG_N >= 1 && ARG_N <= NODES )) \
    || die "$CMD needs a node number between 1 and $NODES (instance '$NAME')"
  [[ -d "$INST" ]] || die "instance '$NAME' does not exist"
}

cmd_kill_node() {
  node_arg
  local pids
  pids="$(node_pids "$ARG_N" | tr '\n' ' ' | sed 's/ $//')"
  if [[ -z "$pids" ]]; then
    log "node $ARG_N of '$NAME' is not running"
    return 0
  fi
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  local deadline=$(( SECONDS + 10 ))
  while is_running "$ARG_N" && (( SECONDS < deadline )); do sleep 0.1; done
  is_running "$ARG_N" && die "node $ARG_N (pid $pids) survived SIGKILL"
  rm -f "$(node_dir "$ARG_N")/node.pid"
  log "node $ARG_N of '$NAME' killed (SIGKILL, pid $pids)"
}

cmd_start_node() {
  node_arg
  local t0 i others=()
  t0="$(now)"
  if is_running "$ARG_N"; then
    log "node $ARG_N of '$NAME' is already running"
    bootstrap
    return 0
  fi
  check_prereqs
  check_ports "$ARG_N"
  ensure_secure_material
  write_props "$ARG_N"
  format_nodes "$(cluster_id)" "$ARG_N"
  launch_node "$ARG_N"
  # Wait for this node and every other node that is running.
  for i in $(all_nodes); do
    [[ "$i" == "$ARG_N" ]] && continue
    is_running "$i" && others+=("$i")
  done
  if ! wait_ready "$t0" "$ARG_N" "${others[@]}"; then
    stop_nodes "$ARG_N"
    die "node $ARG_N of '$NAME' did not become ready"
  fi
  bootstrap
}

case "$CMD" in
  start)      cmd_start ;;
  stop)       cmd_stop ;;
  status)     cmd_status ;;
  bootstrap)  bootstrap ;;
  kill-node)  cmd_kill_node ;;
  start-node) cmd_start_node ;;
  client-config) client_config_path "$ARG_N" ;;
  *) die "unknown command: $CMD (see --help)" ;;
esac

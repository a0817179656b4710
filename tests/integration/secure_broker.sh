#!/usr/bin/env bash
# The secured broker on a real Kafka (ctest: it_secure_broker, labels integration).
#
# Starts its own broker with deploy/local/kafka.sh --secure (instance it-secure, port 19200),
# creates the topics and applies deploy/acls.yaml with caselink-topics, then checks with kcat
# what the ACLs and TLS must guarantee:
#   an unauthenticated client is refused; a client trusting another CA fails the TLS handshake;
#   a wrong password fails authentication; agency A cannot read agency B's feedback topic but can
#   read its own; A can write its input topic and cannot write the state topic; the admin can do
#   everything; a client made by the client factory with the typed security settings
#   (kafka.security_protocol, kafka.sasl_*, kafka.ssl_ca_location) connects and a wrong password
#   is refused; acls apply is idempotent and shows and repairs drift; caselink-passthrough (a
#   transactional service) works under its own ACLs with the keys in kafka.properties.
# Finally greps the broker logs and this test's own output for every generated password.
# Skipped (77) when Kafka's jars or kcat are missing.
set -uo pipefail
ROOT="${CASELINK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BUILD="${CASELINK_BUILD_DIR:-$ROOT/build}"
cd "$ROOT"
# Its own broker: not the test broker of scripts/test.sh, whose super user's client file the
# environment names (each step here says which connection it uses).
unset CASELINK_KAFKA_CLIENT_CONFIG_FILE CASELINK_KAFKA_CLIENT_DIR
NAME=it-secure
PORT="${CASELINK_SECURE_TEST_PORT:-19200}"
B="127.0.0.1:$PORT"
TOPICS_BIN="$BUILD/bin/caselink-topics"
KAFKA=(bash "$ROOT/deploy/local/kafka.sh" --name "$NAME")
export CASELINK_KAFKA_LIBS="${CASELINK_KAFKA_LIBS:-$ROOT/deploy/kafka/libs}"
if ! compgen -G "$CASELINK_KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null || ! command -v kcat >/dev/null; then
  echo "SKIP: no Kafka jars in $CASELINK_KAFKA_LIBS or no kcat (scripts/setup.sh --no-build)"
  exit 77
fi
[[ -x "$TOPICS_BIN" ]] || { echo "FAIL: $TOPICS_BIN not built"; exit 1; }

WORK="$(mktemp -d)"
LOG="$WORK/test.out"          # everything this test prints, grepped for passwords at the end
exec > >(tee "$LOG") 2>&1
cleanup() { "${KAFKA[@]}" stop --wipe >/dev/null 2>&1; rm -rf "$WORK"; }
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

"${KAFKA[@]}" stop --wipe >/dev/null 2>&1   # a leftover of an earlier, interrupted run
t0=$EPOCHREALTIME
boot="$("${KAFKA[@]}" start --port "$PORT" --secure | tail -n1)" || { echo "FAIL: secure start"; exit 1; }
echo "secure 1-node start (new instance): $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}') s"
[[ "$boot" == "$B" ]] || fail "start printed '$boot' as its last line, expected $B"
INST="$ROOT/.local/kafka/$NAME"
cfg() { "${KAFKA[@]}" client-config "$1"; }
ADMIN="$(cfg admin)"
A=sthjj-330100
OTHER=rsj-330100

"$TOPICS_BIN" apply --spec deploy/topics.yaml --bootstrap "$B" --client-config "$ADMIN" >"$WORK/topics.out" 2>&1 \
  || { cat "$WORK/topics.out"; fail "caselink-topics apply on the secured broker"; }
"$TOPICS_BIN" acls apply --spec deploy/acls.yaml --bootstrap "$B" --client-config "$ADMIN" >"$WORK/acls.out" 2>&1 \
  || { tail -5 "$WORK/acls.out"; fail "caselink-topics acls apply"; }

# kcat_as <properties file> <kcat args...>: output and exit status of one kcat run.
kcat_as() { local f="$1"; shift; timeout 30 kcat -F "$f" -b "$B" "$@" 2>&1; }
produce() { local f="$1" topic="$2" value="$3"; echo "$value" | kcat_as "$f" -P -t "$topic" -k case-1; }
consume() { local f="$1" topic="$2"; kcat_as "$f" -C -t "$topic" -o beginning -e -q -m 15; }

# ---- ACLs: idempotent, drift shown and repaired
"$TOPICS_BIN" acls plan --spec deploy/acls.yaml --bootstrap "$B" --client-config "$ADMIN" >"$WORK/plan.out" 2>&1
rc=$?
[[ $rc == 0 ]] && grep -q '^acls: 0 create, 0 delete, [0-9]* ok, 0 unmanaged$' "$WORK/plan.out" \
  && pass "acls plan after apply: nothing to change" || fail "acls plan after apply (exit $rc): $(grep -v '^\(OK\|CREATE\|DELETE\|UNMANAGED\) ' "$WORK/plan.out" | tail -5)"
sed 's/^    group_prefix: caselink-evidence$/    group_prefix: caselink-evidence-v2/' deploy/acls.yaml >"$WORK/drift.yaml"
"$TOPICS_BIN" acls plan --spec "$WORK/drift.yaml" --bootstrap "$B" --client-config "$ADMIN" >"$WORK/drift.out" 2>&1
rc=$?
[[ $rc == 2 ]] && grep -q '^CREATE .*User:caselink-evidence READ group caselink-evidence-v2\*' "$WORK/drift.out" \
  && grep -q '^DELETE .*User:caselink-evidence READ group caselink-evidence\* ' "$WORK/drift.out" \
  && pass "drift shown: exit 2, CREATE the new grant, DELETE the old one" || fail "drift plan (exit $rc): $(grep -v '^\(OK\|CREATE\|DELETE\|UNMANAGED\) ' "$WORK/drift.out" | tail -5)"
"$TOPICS_BIN" acls apply --spec "$WORK/drift.yaml" --bootstrap "$B" --client-config "$ADMIN" >/dev/null 2>&1 \
  && "$TOPICS_BIN" acls apply --spec deploy/acls.yaml --bootstrap "$B" --client-config "$ADMIN" >"$WORK/back.out" 2>&1 \
  && grep -q '^acls: 1 create, 1 delete, ' "$WORK/back.out" && pass "drift repaired by apply" \
  || fail "applying the drifted spec and back"

# ---- Authentication and TLS
out="$(timeout 20 kcat -b "$B" -L -m 5 2>&1)" && fail "an unauthenticated (plaintext) client got metadata" \
  || pass "unauthenticated client refused: $(grep -o 'ERROR.*' <<<"$out" | head -1)"
printf 'security.protocol=SSL\nssl.ca.location=%s\n' "$INST/ca.crt" >"$WORK/tls-only.properties"
out="$(kcat_as "$WORK/tls-only.properties" -L -m 5)" && fail "a TLS client without SASL got metadata" \
  || pass "TLS without SASL refused"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$WORK/other.key" \
  -out "$WORK/other-ca.crt" -days 1 -subj "/CN=another CA" 2>/dev/null
sed "s|^ssl.ca.location=.*|ssl.ca.location=$WORK/other-ca.crt|" "$ADMIN" >"$WORK/other-ca.properties"
out="$(kcat_as "$WORK/other-ca.properties" -L -m 5)"
rc=$?
[[ $rc != 0 ]] && grep -qi 'certificate verify failed\|SSL handshake failed' <<<"$out" \
  && pass "a client trusting another CA fails the TLS handshake" || fail "other-CA client (exit $rc): ${out:0:300}"
sed "s|^sasl.password=.*|sasl.password=not-the-password|" "$(cfg "$A")" >"$WORK/wrong.properties"
out="$(kcat_as "$WORK/wrong.properties" -L -m 5)"
rc=$?
[[ $rc != 0 ]] && grep -qi 'authentication failed' <<<"$out" && pass "a wrong password fails SASL authentication" \
  || fail "wrong password (exit $rc): ${out:0:300}"

# ---- The client factory: a caselink client with the typed security settings from the
# environment (CASELINK_KAFKA_SECURITY_PROTOCOL, _SASL_*, _SSL_CA_LOCATION) authenticates; the
# same with a wrong password is refused.
PROBE="$BUILD/tests/support/caselink-kafka-probe"
if [[ -x "$PROBE" ]]; then
  probe_as() {  # probe_as <principal> <password>
    CASELINK_KAFKA_BOOTSTRAP="$B" CASELINK_KAFKA_SECURITY_PROTOCOL=sasl_ssl CASELINK_KAFKA_SASL_MECHANISM=SCRAM-SHA-512 \
      CASELINK_KAFKA_SASL_USERNAME="$1" CASELINK_KAFKA_SASL_PASSWORD="$2" CASELINK_KAFKA_SSL_CA_LOCATION="$INST/ca.crt" \
      timeout 60 "$PROBE" 2>&1
  }
  a_pw="$(sed -n 's/^sasl.password=//p' "$(cfg "$A")")"
  out="$(probe_as "$A" "$a_pw")" && grep -q '^connected' <<<"$out" \
    && pass "a factory-made client with SASL_SSL settings from the environment connects" || fail "factory client: $out"
  out="$(probe_as "$A" not-the-password)"
  rc=$?
  [[ $rc == 1 ]] && grep -qi 'authentication' <<<"$out" && pass "a factory-made client with a wrong password is refused" \
    || fail "factory client, wrong password (exit $rc): $out"
  out="$(CASELINK_KAFKA_BOOTSTRAP="$B" timeout 60 "$PROBE" 2>&1)" && fail "a factory-made plaintext client connected: $out" \
    || pass "a factory-made client without security settings is refused"
else
  fail "$PROBE not built (ninja caselink-kafka-probe)"
fi

# ---- Authorization (deny by default)
produce "$(cfg caselink-feedback)" "caselink.feedback.$A.v1" "feedback-for-$A" >/dev/null \
  || fail "caselink-feedback cannot write $A's feedback topic"
produce "$(cfg caselink-feedback)" "caselink.feedback.$OTHER.v1" "feedback-for-$OTHER" >/dev/null \
  || fail "caselink-feedback cannot write $OTHER's feedback topic"
out="$(consume "$(cfg "$A")" "caselink.feedback.$A.v1")"
grep -q "feedback-for-$A" <<<"$out" && pass "agency $A reads its own feedback topic" || fail "$A own feedback: $out"
out="$(consume "$(cfg "$A")" "caselink.feedback.$OTHER.v1")"
rc=$?
[[ $rc != 0 ]] && grep -q 'Topic authorization failed' <<<"$out" && ! grep -q "feedback-for-$OTHER" <<<"$out" \
  && pass "agency $A cannot read $OTHER's feedback topic (authorization error)" || fail "$A read $OTHER's topic: $out"
out="$(produce "$(cfg "$A")" caselink.referral.v1 "referral-from-$A")" && pass "agency $A writes caselink.referral.v1" \
  || fail "$A cannot write its input topic: $out"
out="$(produce "$(cfg "$A")" caselink.case.state.v1 "forged-state")"
rc=$?
[[ $rc != 0 ]] && grep -q 'Topic authorization failed' <<<"$out" \
  && pass "agency $A cannot write caselink.case.state.v1 (authorization error)" || fail "$A wrote the state topic: $out"
out="$(produce "$(cfg caselink-ingress)" caselink.case.state.v1 "forged-state")" \
  && fail "caselink-ingress wrote the state topic (only caselink-sync may)" || pass "only caselink-sync writes the state topic"
out="$(produce "$(cfg caselink-sync)" caselink.case.state.v1 "state-from-sync")" || fail "caselink-sync cannot write state: $out"
out="$(produce "$ADMIN" caselink.case.state.v1 "admin-was-here")" || fail "the admin cannot write the state topic: $out"
out="$(consume "$ADMIN" "caselink.feedback.$OTHER.v1")"
grep -q "feedback-for-$OTHER" <<<"$out" && pass "the admin reads any topic" || fail "admin read: $out"
consume "$ADMIN" caselink.case.state.v1 | grep -q admin-was-here && pass "the admin writes any topic" \
  || fail "admin's state record not read back"

# ---- A transactional service under its ACLs: caselink-passthrough (group, transactional id,
# input, DLQ) with the security keys in kafka.properties, as docs/configuration.md says.
PT_BIN="$BUILD/bin/caselink-passthrough"
if [[ -x "$PT_BIN" ]]; then
  PT_CFG="$(cfg caselink-passthrough)"
  CASELINK_KAFKA_BOOTSTRAP="$B" CASELINK_HTTP_PORT=0 CASELINK_KAFKA_PROPERTIES="security.protocol=SASL_SSL,\
sasl.mechanisms=SCRAM-SHA-512,sasl.username=caselink-passthrough,\
sasl.password=$(sed -n 's/^sasl.password=//p' "$PT_CFG"),ssl.ca.location=$INST/ca.crt" \
    "$PT_BIN" --config deploy/config/passthrough.yaml >"$WORK/passthrough.out" 2>&1 &
  pt=$!
  produce "$ADMIN" caselink.bench.in.v1 "not-an-envelope" >/dev/null || fail "admin cannot write caselink.bench.in.v1"
  deadline=$((SECONDS + 60)); dead=0
  while (( SECONDS < deadline )); do
    dead="$(kcat_as "$ADMIN" -C -t caselink.dlq.v1 -o beginning -e -q -f '%h\n' | grep -c 'dlq.service=caselink-passthrough')"
    (( dead >= 1 )) && break
    sleep 0.5
  done
  kill "$pt" 2>/dev/null; wait "$pt" 2>/dev/null
  (( dead >= 1 )) && ! grep -qi 'authorization' "$WORK/passthrough.out" \
    && pass "caselink-passthrough consumes, dead-letters and commits transactionally under its ACLs" \
    || fail "caselink-passthrough under its ACLs: $dead DLQ record(s); $(grep -i 'authoriz' "$WORK/passthrough.out" | head -2)"
else
  fail "$PT_BIN not built (ninja caselink-passthrough)"
fi

# ---- No generated password in any log or in this test's output
mapfile -t secrets < <(sed -n 's/^sasl.password=//p' "$INST"/clients/*.properties; cat "$INST/secrets/broker.password")
[[ ${#secrets[@]} -ge 10 ]] || fail "expected the passwords of every principal, found ${#secrets[@]}"
logs=("$INST"/node-*/logs "$INST"/node-*/node.out "$INST"/node-*/format.log "$WORK"/*.out "$LOG")
leaks=0
for s in "${secrets[@]}"; do
  [[ -n "$s" ]] || continue
  if grep -rqF -- "$s" "${logs[@]}" 2>/dev/null; then leaks=$((leaks + 1)); fi
done
(( leaks == 0 )) && pass "none of ${#secrets[@]} passwords appears in the broker logs or the test output" \
  || fail "$leaks password(s) found in logs or output"

echo "---- $failures failure(s)"
(( failures == 0 ))

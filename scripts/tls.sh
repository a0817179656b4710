#!/usr/bin/env bash
# caselink — a TLS server certificate from the local CA (the ingress's HTTPS, issue 15 §5).
#
#   scripts/tls.sh --ca DIR --out DIR NAME
#
# The CA is the one deploy/local/kafka.sh --secure makes for a broker instance: DIR/ca.crt
# (public) and DIR/secrets/ca.key (0600), e.g. --ca .local/kafka/dev. When DIR holds none yet it
# is created here in the same form, and a broker instance started --secure later in DIR uses it.
# Writes OUT/NAME.crt (certificate + CA) and OUT/NAME.key (0600) for 127.0.0.1 and localhost
# (extended key usage server and client: the same form serves as a client certificate for
# api.tls.client_ca_file), a copy of the CA certificate as OUT/ca.crt (what a client trusts:
# curl --cacert), and prints that path. Idempotent: a certificate that still verifies against
# the CA and is valid for more than a day is kept.
#
# Generated keys belong under the run directory and are never committed. Needs openssl (3.x).
set -euo pipefail

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "tls.sh: $*" >&2; exit 2; }

CA_DIR=""; OUT=""; NAME=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ca) [[ -n "${2:-}" ]] || die "--ca needs a directory"; CA_DIR="$2"; shift 2 ;;
    --out) [[ -n "${2:-}" ]] || die "--out needs a directory"; OUT="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) [[ -z "$NAME" ]] || die "one NAME only"; NAME="$1"; shift ;;
  esac
done
[[ -n "$CA_DIR" && -n "$OUT" && -n "$NAME" ]] || { usage >&2; exit 2; }
[[ "$NAME" =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "'$NAME' is not a name (a-z, 0-9, '-')"
command -v openssl >/dev/null 2>&1 || die "openssl not found"

umask 077
mkdir -p "$CA_DIR/secrets" "$OUT"
CA_CRT="$CA_DIR/ca.crt"; CA_KEY="$CA_DIR/secrets/ca.key"
# EC P-256, as kafka.sh's make_ca: generated in milliseconds.
if [[ ! -s "$CA_CRT" || ! -s "$CA_KEY" ]]; then
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$CA_KEY" -out "$CA_CRT" \
    -subj "/O=caselink-local/CN=caselink local CA ($(basename "$CA_DIR"))" -x509 -days 825 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null \
    || die "openssl: cannot create the local CA in $CA_DIR"
  chmod 644 "$CA_CRT"   # public: every client needs it
fi

crt="$OUT/$NAME.crt"; key="$OUT/$NAME.key"
cp "$CA_CRT" "$OUT/.ca.crt.$$" && chmod 644 "$OUT/.ca.crt.$$" && mv "$OUT/.ca.crt.$$" "$OUT/ca.crt"
if [[ -s "$crt" && -s "$key" ]] && openssl verify -CAfile "$CA_CRT" "$crt" >/dev/null 2>&1 \
   && openssl x509 -in "$crt" -noout -checkend 86400 >/dev/null 2>&1; then
  echo "$OUT/ca.crt"
  exit 0
fi
tmp="$OUT/.$NAME.$$"
trap 'rm -f "$tmp".*' EXIT
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$tmp.key" -out "$tmp.csr" \
  -subj "/O=caselink-local/CN=$NAME" 2>/dev/null || die "openssl: cannot make the key of $NAME"
printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
  "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$tmp.ext"
openssl x509 -req -in "$tmp.csr" -CA "$CA_CRT" -CAkey "$CA_KEY" -days 825 \
  -set_serial "0x$(openssl rand -hex 16)" -extfile "$tmp.ext" -out "$tmp.crt" 2>/dev/null \
  || die "openssl: cannot sign the certificate of $NAME"
cat "$tmp.crt" "$CA_CRT" >"$tmp.chain"
mv "$tmp.key" "$key"
chmod 644 "$tmp.chain"
mv "$tmp.chain" "$crt"
echo "$OUT/ca.crt"

#!/usr/bin/env bash
# caselink — make local Ed25519 signing keys and the key registry (docs/contracts/signing.md).
#
#   scripts/keys.sh --dir DIR own PARTY...              one key per party, held by the party
#   scripts/keys.sh --dir DIR custody HOLDER PARTY...   keys HOLDER keeps for the parties
#                                                       (the ingress signing custodially)
#   scripts/keys.sh --dir DIR blob HOLDER               the X25519 key pair evidence blobs are
#                                                       sealed to at rest (docs/services/evidence.md):
#                                                       DIR/HOLDER/blob-store.x25519.key (private,
#                                                       for HOLDER = caselink-evidence only) and
#                                                       DIR/blob-store.x25519.pub (for writers)
#
# Layout: DIR/<holder>/<key_id>.pem (private, mode 0600; `signing.key_dir` = DIR/<holder>) and
# DIR/registry.yaml (public keys; `signing.registry_file`). Key ids: <party>.k1 for a party's own
# key, <party>.custodial.k1 for one held in custody. Existing keys are kept (idempotent); the
# registry is rewritten from the keys present, so it always matches them.
#
# Private keys belong under the run directory and are never committed. Needs openssl (3.x).
set -euo pipefail

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }

DIR=""
[[ "${1:-}" == "--dir" && -n "${2:-}" ]] || { usage >&2; exit 2; }
DIR="$2"; shift 2
MODE="${1:-}"; shift || true
case "$MODE" in
  own) HOLDER=""; [[ $# -ge 1 ]] || { usage >&2; exit 2; } ;;
  custody) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; HOLDER="$1"; shift ;;
  blob) [[ $# -eq 1 ]] || { usage >&2; exit 2; } ;;
  -h|--help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

valid_id() { [[ "$1" =~ ^[a-z0-9][a-z0-9-]*$ ]] || { echo "keys.sh: '$1' is not a party id (a-z, 0-9, '-')" >&2; exit 2; }; }

umask 077
# The blob-sealing key is not a signing key: not .pem, so the registry below never lists it.
if [[ "$MODE" == blob ]]; then
  valid_id "$1"
  mkdir -p "$DIR/$1"
  key="$DIR/$1/blob-store.x25519.key"
  [[ -s "$key" ]] || openssl genpkey -algorithm x25519 -out "$key" 2>/dev/null
  public="$DIR/blob-store.x25519.pub.tmp.$$"
  openssl pkey -in "$key" -pubout -out "$public"
  chmod 644 "$public"
  mv "$public" "$DIR/blob-store.x25519.pub"
  exit 0
fi
for party in "$@"; do
  valid_id "$party"
  if [[ -z "$HOLDER" ]]; then holder="$party"; key_id="$party.k1"; else valid_id "$HOLDER"; holder="$HOLDER"; key_id="$party.custodial.k1"; fi
  mkdir -p "$DIR/$holder"
  pem="$DIR/$holder/$key_id.pem"
  [[ -s "$pem" ]] || openssl genpkey -algorithm ed25519 -out "$pem" 2>/dev/null
done

# The registry from every key present: party = the key id up to its first '.'.
registry="$DIR/registry.yaml.tmp.$$"
{
  echo "# caselink key registry, written by scripts/keys.sh from the keys under this directory."
  echo "keys:"
  find "$DIR" -mindepth 2 -maxdepth 2 -name '*.pem' | sort | while read -r pem; do
    key_id="$(basename "$pem" .pem)"
    public="$(openssl pkey -in "$pem" -pubout -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')"
    printf '  - key_id: %s\n    party: %s\n    public_key: %s\n' "$key_id" "${key_id%%.*}" "$public"
  done
} >"$registry"
chmod 644 "$registry"
mv "$registry" "$DIR/registry.yaml"   # atomic: services polling the file never read half of it

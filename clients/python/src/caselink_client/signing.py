"""Ed25519 envelope signatures (docs/contracts/signing.md), in pure Python.

    from caselink_client.signing import KeyRegistry, verify_envelope
    failure = verify_envelope(envelope, registry)   # None when the signature is valid

signing_input() is the byte-exact input caselink's C++ code signs (services/lib/signing);
sign_envelope() and verify_envelope() apply the same rules, with the same failure reasons
(missing, unknown_key, wrong_party, not_valid, revoked, bad_custodian, invalid).

The Ed25519 arithmetic is the RFC 8032 reference algorithm in Python integers: dependency-free
and fast enough to check records one by one, but not constant-time, so use it to verify and to
sign test data; sign production traffic with the C++ SDK or a vetted library.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import struct
from typing import Dict, Optional

from caselink.v1 import envelope_pb2

DOMAIN_TAG = b"caselink.envelope.v1\x00"

# --- Ed25519 (RFC 8032 §5.1) -------------------------------------------------------------------
_P = 2**255 - 19
_Q = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _inv(x: int) -> int:
    return pow(x, _P - 2, _P)


def _add(a, b):
    """Point addition in extended coordinates (X, Y, Z, T)."""
    pa = (a[1] - a[0]) * (b[1] - b[0]) % _P
    pb = (a[1] + a[0]) * (b[1] + b[0]) % _P
    pc = 2 * a[3] * b[3] * _D % _P
    pd = 2 * a[2] * b[2] % _P
    e, f, g, h = pb - pa, pd - pc, pd + pc, pb + pa
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _mul(s: int, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _add(result, point)
        point = _add(point, point)
        s >>= 1
    return result


def _same(a, b) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


def _recover_x(y: int, sign: int) -> Optional[int]:
    if y >= _P:
        return None
    x2 = (y * y - 1) * _inv(_D * y * y + 1) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    return _P - x if (x & 1) != sign else x


_GY = 4 * _inv(5) % _P
_GX = _recover_x(_GY, 0)
_G = (_GX, _GY, 1, _GX * _GY % _P)


def _compress(point) -> bytes:
    zinv = _inv(point[2])
    x, y = point[0] * zinv % _P, point[1] * zinv % _P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _decompress(data: bytes):
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


def _hash_int(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def _expand(seed: bytes):
    if len(seed) != 32:
        raise ValueError("an Ed25519 seed is 32 bytes")
    digest = hashlib.sha512(seed).digest()
    scalar = int.from_bytes(digest[:32], "little")
    scalar = (scalar & ((1 << 254) - 8)) | (1 << 254)
    return scalar, digest[32:]


def public_key(seed: bytes) -> bytes:
    """The 32-byte public key of a 32-byte private seed."""
    return _compress(_mul(_expand(seed)[0], _G))


def sign(seed: bytes, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of `message` (deterministic)."""
    scalar, prefix = _expand(seed)
    pub = _compress(_mul(scalar, _G))
    r = _hash_int(prefix, message) % _Q
    big_r = _compress(_mul(r, _G))
    s = (r + _hash_int(big_r, pub, message) % _Q * scalar) % _Q
    return big_r + int.to_bytes(s, 32, "little")


def verify(public: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is a valid Ed25519 signature of `message` by `public`."""
    if len(public) != 32 or len(signature) != 64:
        return False
    point_a, point_r = _decompress(public), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if point_a is None or point_r is None or s >= _Q:
        return False
    h = _hash_int(signature[:32], public, message) % _Q
    return _same(_mul(s, _G), _add(point_r, _mul(h, point_a)))


def seed_from_pem(pem: str) -> bytes:
    """The seed of a PKCS#8 Ed25519 private key (what `openssl genpkey -algorithm ed25519` writes)."""
    body = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
    der = base64.b64decode(body)
    if len(der) != 48 or der[:16] != bytes.fromhex("302e020100300506032b657004220420"):
        raise ValueError("not a PKCS#8 Ed25519 private key")
    return der[16:]


# --- The envelope ------------------------------------------------------------------------------
def _lp(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _time(ts) -> bytes:
    return struct.pack(">qI", ts.seconds, ts.nanos)


def signing_input(envelope: envelope_pb2.Envelope) -> bytes:
    """The byte-exact input of the envelope signature (docs/contracts/signing.md)."""
    which = envelope.WhichOneof("payload")
    payload = getattr(envelope, which).SerializeToString(deterministic=True) if which else b""
    return b"".join([
        DOMAIN_TAG,
        _lp(envelope.event_id.encode()), _lp(envelope.case_id.encode()),
        _lp(envelope.event_type.encode()), _lp(envelope.producer_agency_id.encode()),
        _time(envelope.occurred_at), _time(envelope.recorded_at),
        struct.pack(">I", envelope.schema_version),
        _lp(envelope.correlation_id.encode()), _lp(envelope.causation_id.encode()),
        _lp(envelope.signature_key_id.encode()), struct.pack(">I", envelope.signature_mode),
        _lp(envelope.signature_custodian.encode()), _lp(payload),
    ])


EVENT_DIGEST_SCHEME = "caselink.event-digest.v1"


def event_digest_hex(envelope: envelope_pb2.Envelope) -> str:
    """The event digest a receipt carries of the event it acknowledges (docs/contracts/signing.md,
    "Receipts"): SHA-256 over signing_input(envelope), 64 lowercase hex. Covers the content and
    the signer metadata, not the signature bytes."""
    return hashlib.sha256(signing_input(envelope)).hexdigest()


def sign_envelope(envelope: envelope_pb2.Envelope, seed: bytes, key_id: str, custodian: str = "") -> None:
    """Sets the key id, mode (custodial when `custodian` is given), custodian and signature."""
    envelope.signature = b""
    envelope.signature_key_id = key_id
    envelope.signature_mode = (envelope_pb2.SIGNATURE_MODE_CUSTODIAL if custodian
                               else envelope_pb2.SIGNATURE_MODE_OWN_KEY)
    envelope.signature_custodian = custodian
    envelope.signature = sign(seed, signing_input(envelope))


@dataclasses.dataclass(frozen=True)
class Key:
    key_id: str
    party: str
    public_key: bytes
    valid_from: Optional[datetime.datetime] = None
    valid_until: Optional[datetime.datetime] = None
    revoked_at: Optional[datetime.datetime] = None


KeyRegistry = Dict[str, Key]


@dataclasses.dataclass(frozen=True)
class Failure:
    reason: str
    detail: str


def _signed_at(envelope) -> datetime.datetime:
    ts = envelope.recorded_at
    return (datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
            + datetime.timedelta(seconds=ts.seconds, microseconds=ts.nanos // 1000))


def verify_envelope(envelope: envelope_pb2.Envelope, registry: KeyRegistry) -> Optional[Failure]:
    """None when the envelope carries a valid signature of its producer; else why not."""
    if not envelope.signature or not envelope.signature_key_id:
        return Failure("missing", "no signature")
    key = registry.get(envelope.signature_key_id)
    if key is None:
        return Failure("unknown_key", f"key '{envelope.signature_key_id}' is not in the key registry")
    if key.party != envelope.producer_agency_id:
        return Failure("wrong_party", f"key '{key.key_id}' belongs to '{key.party}'")
    custodial = envelope.signature_mode == envelope_pb2.SIGNATURE_MODE_CUSTODIAL
    if custodial != bool(envelope.signature_custodian):
        return Failure("bad_custodian", "signature_custodian must be set exactly when the mode is CUSTODIAL")
    at = _signed_at(envelope)
    if key.revoked_at is not None and at >= key.revoked_at:
        return Failure("revoked", f"key '{key.key_id}' was revoked at {key.revoked_at.isoformat()}")
    if (key.valid_from is not None and at < key.valid_from) or (key.valid_until is not None and at >= key.valid_until):
        return Failure("not_valid", f"key '{key.key_id}' is not valid at {at.isoformat()}")
    if not verify(key.public_key, signing_input(envelope), envelope.signature):
        return Failure("invalid", f"the signature does not verify with key '{key.key_id}'")
    return None

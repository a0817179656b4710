"""Envelope signatures across languages (docs/contracts/signing.md): the vector made by the C++
code verifies here, and the Python-made vector is exactly what this package produces (the C++
unit test signing_test verifies it). No broker."""
import datetime
import json
import pathlib

import pytest

from caselink.v1 import envelope_pb2
from caselink_client import signing

VECTORS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "contracts" / "signing-vectors.json"


def vector(made_by):
    return next(v for v in json.loads(VECTORS.read_text())["vectors"] if v["made_by"] == made_by)


def registry_for(v, **times):
    return {v["key_id"]: signing.Key(v["key_id"], v["party"], bytes.fromhex(v["public_key"]), **times)}


def parsed(v):
    env = envelope_pb2.Envelope()
    env.ParseFromString(bytes.fromhex(v["envelope"]))
    return env


def test_rfc8032_test_vector_1():
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    assert signing.public_key(seed).hex() == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    sig = signing.sign(seed, b"")
    assert sig.hex().startswith("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e0652249015")
    assert signing.verify(signing.public_key(seed), b"", sig)
    assert not signing.verify(signing.public_key(seed), b"x", sig)


def test_verifies_the_signature_made_by_the_cpp_code():
    v = vector("c++")
    env = parsed(v)
    assert signing.signing_input(env).hex() == v["signing_input"]
    assert signing.verify_envelope(env, registry_for(v)) is None
    assert env.signature_mode == envelope_pb2.SIGNATURE_MODE_OWN_KEY
    env.case_referral.transfer_letter_number += "x"
    assert signing.verify_envelope(env, registry_for(v)).reason == "invalid"


def test_the_python_vector_is_what_this_package_produces():
    v = vector("python")
    env = parsed(v)
    expected_signature = env.signature
    signing.sign_envelope(env, bytes.fromhex(v["seed"]), v["key_id"], custodian="caselink-ingress")
    assert env.signature == expected_signature
    assert signing.signing_input(env).hex() == v["signing_input"]
    assert env.SerializeToString(deterministic=True).hex() == v["envelope"]


def test_refusal_reasons_match_the_cpp_ones():
    v = vector("c++")
    utc = datetime.timezone.utc
    env = parsed(v)  # recorded_at 2026-05-28T20:26:42Z
    assert signing.verify_envelope(env, {}).reason == "unknown_key"
    revoked_later = registry_for(v, revoked_at=datetime.datetime(2026, 6, 1, tzinfo=utc))
    assert signing.verify_envelope(env, revoked_later) is None
    revoked_before = registry_for(v, revoked_at=datetime.datetime(2026, 5, 1, tzinfo=utc))
    assert signing.verify_envelope(env, revoked_before).reason == "revoked"
    forged = parsed(v)
    forged.producer_agency_id = "gaj-330100"
    assert signing.verify_envelope(forged, registry_for(v)).reason == "wrong_party"
    unsigned = parsed(v)
    unsigned.signature = b""
    assert signing.verify_envelope(unsigned, registry_for(v)).reason == "missing"


def test_reads_the_seed_of_an_openssl_pem_key():
    pem = ("-----BEGIN PRIVATE KEY-----\n"
           "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
           "-----END PRIVATE KEY-----\n")
    assert signing.seed_from_pem(pem).hex() == "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    with pytest.raises(ValueError):
        signing.seed_from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")


def test_event_digest_of_both_vectors():
    for who in ("c++", "python"):
        v = vector(who)
        env = parsed(v)
        assert signing.event_digest_hex(env) == v["event_digest"]
        env.signature = b""
        assert signing.event_digest_hex(env) == v["event_digest"], "the signature bytes are not covered"
        env.signature_key_id += "x"
        assert signing.event_digest_hex(env) != v["event_digest"], "the signer metadata is covered"

"""Unit tests of the envelope decoder: records built in Python, no broker."""
import datetime

import pytest

from caselink.v1 import envelope_pb2, referral_pb2
from caselink_client import DecodeError, decode, encode_headers
from conftest import T0, make_envelope

PAYLOAD_FIELDS = [f.name for f in envelope_pb2.Envelope.DESCRIPTOR.oneofs_by_name["payload"].fields]


def test_decodes_envelope_fields_payload_and_cloud_events(envelope):
    envelope.case_referral.transfer_letter_number = "杭环移〔2026〕1号"
    envelope.causation_id = "11111111-2222-4333-8444-555555555555"
    record = decode(envelope.SerializeToString(), encode_headers(envelope), key=b"env-330100-2026-0001")

    assert record.event_id == envelope.event_id
    assert record.case_id == record.key == "env-330100-2026-0001"
    assert record.event_type == "caselink.v1.CaseReferral"
    assert record.payload_field == "case_referral"
    assert isinstance(record.payload, referral_pb2.CaseReferral)
    assert record.payload.transfer_letter_number == "杭环移〔2026〕1号"
    assert record.producer_agency_id == "sthjj-330100"
    assert record.occurred_at == T0
    assert record.recorded_at == T0 + datetime.timedelta(seconds=2)
    assert record.schema_version == 1
    assert record.correlation_id == envelope.event_id
    assert record.causation_id == "11111111-2222-4333-8444-555555555555"
    ce = record.cloud_events
    assert (ce.specversion, ce.id, ce.source, ce.type, ce.subject, ce.content_type) == (
        "1.0", envelope.event_id, "sthjj-330100", "caselink.v1.CaseReferral", "env-330100-2026-0001",
        "application/x-protobuf")
    assert ce.time == "2026-11-28T03:24:45.123Z"
    assert record.header_mismatches() == []


@pytest.mark.parametrize("field", PAYLOAD_FIELDS)
def test_every_payload_type_of_the_oneof_decodes(field):
    env = make_envelope(field)
    record = decode(env.SerializeToString(), dict(encode_headers(env)))
    assert record.payload_field == field
    assert record.payload.DESCRIPTOR.full_name == record.event_type


def test_headers_may_be_missing_or_a_mapping_of_text(envelope):
    assert decode(envelope.SerializeToString()).cloud_events.id is None
    record = decode(envelope.SerializeToString(), {"ce_id": envelope.event_id})
    assert record.cloud_events.id == envelope.event_id
    assert "ce_type" in record.header_mismatches()


def test_header_that_disagrees_with_the_envelope_is_reported(envelope):
    headers = [(n, b"other" if n == "ce_source" else v) for n, v in encode_headers(envelope)]
    assert decode(envelope.SerializeToString(), headers).header_mismatches() == ["ce_source"]
    late = [(n, b"2026-11-28T03:24:46.000Z" if n == "ce_time" else v) for n, v in encode_headers(envelope)]
    assert decode(envelope.SerializeToString(), late).header_mismatches() == ["ce_time"]


def expect_error(value: bytes, error_class: str, field: str):
    with pytest.raises(DecodeError) as caught:
        decode(value)
    assert (caught.value.error_class, caught.value.field) == (error_class, field)


def test_bytes_that_are_not_an_envelope_are_undecodable():
    expect_error(b"\x0a\xff\x01garbage", "envelope.undecodable", "value")


def test_empty_value_misses_its_schema_version():
    expect_error(b"", "envelope.missing_field", "schema_version")


@pytest.mark.parametrize("changes, error_class, field", [
    ({"schema_version": 2}, "envelope.future_schema_version", "schema_version"),
    ({"event_id": ""}, "envelope.missing_field", "event_id"),
    ({"event_id": "not-a-uuid"}, "envelope.invalid_field", "event_id"),
    ({"event_id": "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE"}, "envelope.invalid_field", "event_id"),
    ({"case_id": ""}, "envelope.missing_field", "case_id"),
    ({"case_id": "has space"}, "envelope.invalid_field", "case_id"),
    ({"case_id": "x" * 129}, "envelope.invalid_field", "case_id"),
    ({"producer_agency_id": ""}, "envelope.missing_field", "producer_agency_id"),
    ({"event_type": ""}, "envelope.missing_field", "event_type"),
    ({"event_type": "caselink.v1.NotAThing"}, "envelope.unknown_type", "event_type"),
    ({"event_type": "caselink.v1.CaseClosed"}, "envelope.type_mismatch", "event_type"),
])
def test_invalid_envelopes_get_caselinks_error_class(envelope, changes, error_class, field):
    for name, value in changes.items():
        setattr(envelope, name, value)
    expect_error(envelope.SerializeToString(), error_class, field)


def test_missing_timestamps_are_refused(envelope):
    envelope.ClearField("recorded_at")
    expect_error(envelope.SerializeToString(), "envelope.missing_field", "recorded_at")


def test_payload_from_a_newer_contract_is_an_unknown_type(envelope):
    # A v1.x producer's new payload (field 190, unknown here) with its new type name: the oneof
    # is unset for this reader, which must refuse it instead of guessing.
    envelope.ClearField("case_referral")
    envelope.event_type = "caselink.v1.FuturePayload"
    value = envelope.SerializeToString() + b"\xf2\x0b\x00"  # field 190, length-delimited, empty
    expect_error(value, "envelope.unknown_type", "event_type")


def test_known_type_without_its_payload_is_refused(envelope):
    envelope.ClearField("case_referral")
    expect_error(envelope.SerializeToString(), "envelope.missing_field", "payload")

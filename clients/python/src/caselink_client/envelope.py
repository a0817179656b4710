"""Decodes one caselink Kafka record (value bytes + headers) into a typed DecodedRecord.

The checks and their error classes are the ones caselink's own services apply
(services/lib/envelope/codec.cc), so a record this decoder refuses is one caselink would
dead-letter, with the same `dlq.error.class`.
"""
from __future__ import annotations

import dataclasses
import datetime
import re
from typing import Iterable, Mapping, Optional, Sequence, Tuple, Union

from google.protobuf import message as pb_message

from caselink.v1 import envelope_pb2

# The contract version this package was generated from (Envelope.schema_version).
SCHEMA_VERSION = 1

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_PAYLOAD_ONEOF = envelope_pb2.Envelope.DESCRIPTOR.oneofs_by_name["payload"]
_KNOWN_TYPES = {f.message_type.full_name for f in _PAYLOAD_ONEOF.fields}
_MS = datetime.timedelta(milliseconds=1)
_MS_ZERO = datetime.timedelta(0)

Headers = Union[None, Mapping[str, Union[str, bytes]], Sequence[Tuple[str, Optional[Union[str, bytes]]]]]


class DecodeError(ValueError):
    """A record that is not a valid caselink Envelope.

    error_class is the stable class caselink uses in `dlq.error.class` (envelope.undecodable,
    envelope.missing_field, envelope.invalid_field, envelope.unknown_type,
    envelope.type_mismatch, envelope.future_schema_version); field names the offending field.
    """

    def __init__(self, error_class: str, field: str, message: str):
        super().__init__(f"{error_class}: {field}: {message}")
        self.error_class = error_class
        self.field = field


@dataclasses.dataclass(frozen=True)
class CloudEventHeaders:
    """The CloudEvents binary-mode headers (docs/topics.md §3); None when a header is absent."""

    specversion: Optional[str]
    id: Optional[str]
    source: Optional[str]
    type: Optional[str]
    time: Optional[str]
    subject: Optional[str]
    content_type: Optional[str]


@dataclasses.dataclass(frozen=True)
class DecodedRecord:
    """One decoded record. The envelope is authoritative; cloud_events is the headers' copy."""

    event_id: str
    case_id: str
    event_type: str            # full protobuf name, e.g. "caselink.v1.CaseReferral"
    payload_field: str         # the oneof field set, e.g. "case_referral"
    payload: pb_message.Message  # the decoded payload message (e.g. a referral_pb2.CaseReferral)
    producer_agency_id: str
    occurred_at: datetime.datetime  # timezone-aware UTC
    recorded_at: datetime.datetime
    schema_version: int
    correlation_id: str
    causation_id: str
    envelope: envelope_pb2.Envelope
    cloud_events: CloudEventHeaders
    key: Optional[str] = None

    def header_mismatches(self) -> list:
        """Names of the CloudEvents headers that disagree with the envelope (empty when all agree)."""
        ce = self.cloud_events
        expected = {
            "ce_specversion": (ce.specversion, "1.0"),
            "ce_id": (ce.id, self.event_id),
            "ce_source": (ce.source, self.producer_agency_id),
            "ce_type": (ce.type, self.event_type),
            "ce_subject": (ce.subject, self.case_id),
            "content-type": (ce.content_type, "application/x-protobuf"),
        }
        bad = [name for name, (got, want) in expected.items() if got != want]
        # ce_time is written with millisecond precision (occurred_at truncated to the ms).
        header_time = _parse_rfc3339(ce.time) if ce.time is not None else None
        if header_time is None or not _MS_ZERO <= self.occurred_at - header_time < _MS:
            bad.append("ce_time")
        return bad


def decode(value: Optional[bytes], headers: Headers = None, key: Union[None, str, bytes] = None) -> DecodedRecord:
    """Decodes a record's value and headers; raises DecodeError for anything caselink would refuse."""
    envelope = envelope_pb2.Envelope()
    try:
        envelope.ParseFromString(value or b"")
    except pb_message.DecodeError as exc:
        raise DecodeError("envelope.undecodable", "value",
                          f"not a caselink.v1.Envelope ({len(value or b'')} bytes): {exc}") from None
    _validate(envelope)
    field = envelope.WhichOneof("payload")
    return DecodedRecord(
        event_id=envelope.event_id, case_id=envelope.case_id, event_type=envelope.event_type,
        payload_field=field, payload=getattr(envelope, field),
        producer_agency_id=envelope.producer_agency_id,
        occurred_at=envelope.occurred_at.ToDatetime(tzinfo=datetime.timezone.utc),
        recorded_at=envelope.recorded_at.ToDatetime(tzinfo=datetime.timezone.utc),
        schema_version=envelope.schema_version, correlation_id=envelope.correlation_id,
        causation_id=envelope.causation_id, envelope=envelope,
        cloud_events=_cloud_events(headers), key=_text(key))


def encode_headers(envelope: envelope_pb2.Envelope) -> list:
    """The CloudEvents headers caselink writes for an envelope (for producers and tests)."""
    occurred = envelope.occurred_at.ToDatetime(tzinfo=datetime.timezone.utc)
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", envelope.event_id.encode()),
        ("ce_source", envelope.producer_agency_id.encode()),
        ("ce_type", envelope.event_type.encode()),
        ("ce_time", (occurred.strftime("%Y-%m-%dT%H:%M:%S.") + f"{occurred.microsecond // 1000:03d}Z").encode()),
        ("ce_subject", envelope.case_id.encode()),
        ("content-type", b"application/x-protobuf"),
    ]


def _validate(env: envelope_pb2.Envelope) -> None:
    if env.schema_version == 0:
        raise DecodeError("envelope.missing_field", "schema_version", "must be set")
    if env.schema_version > SCHEMA_VERSION:
        raise DecodeError("envelope.future_schema_version", "schema_version",
                          f"version {env.schema_version} is newer than this client understands ({SCHEMA_VERSION})")
    _require(env.event_id, "event_id")
    if not _UUID.match(env.event_id):
        raise DecodeError("envelope.invalid_field", "event_id", f"not a canonical UUID: {env.event_id!r}")
    _require(env.case_id, "case_id")
    if len(env.case_id) > 128 or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in env.case_id):
        raise DecodeError("envelope.invalid_field", "case_id", "must be 1..128 printable characters, no whitespace")
    _require(env.producer_agency_id, "producer_agency_id")
    _require(env.event_type, "event_type")
    if env.event_type not in _KNOWN_TYPES:
        raise DecodeError("envelope.unknown_type", "event_type", f"unknown event type {env.event_type!r}")
    field = env.WhichOneof("payload")
    if field is None:
        raise DecodeError("envelope.missing_field", "payload", f"no payload set for {env.event_type!r}")
    actual = getattr(env, field).DESCRIPTOR.full_name
    if actual != env.event_type:
        raise DecodeError("envelope.type_mismatch", "event_type",
                          f"says {env.event_type!r} but the payload is {actual!r}")
    for name in ("occurred_at", "recorded_at"):
        if not env.HasField(name):
            raise DecodeError("envelope.missing_field", name, "must be set")


def _require(value: str, field: str) -> None:
    if not value:
        raise DecodeError("envelope.missing_field", field, "must be set")


def _text(value: Union[None, str, bytes]) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    return value.decode("utf-8", errors="replace")


def _cloud_events(headers: Headers) -> CloudEventHeaders:
    items: Iterable = headers.items() if isinstance(headers, Mapping) else (headers or ())
    found = {}
    for name, value in items:
        found.setdefault(name, _text(value))  # first occurrence wins, as in caselink's find_header
    return CloudEventHeaders(
        specversion=found.get("ce_specversion"), id=found.get("ce_id"), source=found.get("ce_source"),
        type=found.get("ce_type"), time=found.get("ce_time"), subject=found.get("ce_subject"),
        content_type=found.get("content-type"))


def _parse_rfc3339(text: str) -> Optional[datetime.datetime]:
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None

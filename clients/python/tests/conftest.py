import datetime
import uuid

import pytest

from caselink.v1 import envelope_pb2

T0 = datetime.datetime(2026, 11, 28, 3, 24, 45, 123456, tzinfo=datetime.timezone.utc)


def make_envelope(payload_field: str = "case_referral", **fields) -> envelope_pb2.Envelope:
    """A valid envelope with an (empty) payload in `payload_field`, as caselink writes it."""
    env = envelope_pb2.Envelope(
        event_id=str(uuid.uuid4()), case_id="env-330100-2026-0001", producer_agency_id="sthjj-330100",
        schema_version=1, correlation_id="", causation_id="")
    env.occurred_at.FromDatetime(T0)
    env.recorded_at.FromDatetime(T0 + datetime.timedelta(seconds=2))
    getattr(env, payload_field).SetInParent()
    env.event_type = getattr(env, payload_field).DESCRIPTOR.full_name
    env.correlation_id = env.event_id
    for name, value in fields.items():
        setattr(env, name, value)
    return env


@pytest.fixture
def envelope():
    return make_envelope()

"""caselink-client: read caselink's Kafka topics from Python (see docs/integrators.md).

    from caselink_client import decode, DecodeError, CaselinkConsumer
"""
from caselink_client.envelope import (
    CloudEventHeaders,
    DecodedRecord,
    DecodeError,
    SCHEMA_VERSION,
    decode,
    encode_headers,
)
from caselink_client.connection import client_config, client_config_from_environment
from caselink_client.consumer import CaselinkConsumer, MemorySeenEvents, SeenEvents
from caselink_client.topics import ENVELOPE_TOPICS, is_envelope_topic

__all__ = [
    "CaselinkConsumer", "CloudEventHeaders", "DecodedRecord", "DecodeError", "ENVELOPE_TOPICS",
    "MemorySeenEvents", "SCHEMA_VERSION", "SeenEvents", "client_config", "client_config_from_environment", "decode", "encode_headers",
    "is_envelope_topic",
]

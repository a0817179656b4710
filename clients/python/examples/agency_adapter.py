"""An agency adapter in Python, from the contracts alone: it refers a case and acknowledges its feedback.

The Hangzhou Ecology and Environment Bureau (sthjj-330100) sends a CaseReferral of a pollution
case (cadmium at 4.2 times the discharge standard, fact `heavy_metal_multiple`, docs/facts.md) to
caselink.referral.v1 (key = case id, CloudEvents headers, idempotent producer with acks=all), then
reads its feedback topic caselink.feedback.<agency>.v1 with the client's CaselinkConsumer and
answers each filing decision, prosecution decision, evidence receipt and threshold assessment with a
FeedbackAcknowledged on caselink.ack.v1. The acknowledgement's event id is derived from the
feedback's (uuid5), so a redelivered feedback record is acknowledged under the same id.

    python clients/python/examples/agency_adapter.py --bootstrap 127.0.0.1:9092 \\
        --agency sthjj-330100 --case-id sthjj-330100-2026-0001 [--idle-timeout 20] \\
        [--client-config .local/kafka/local/clients/sthjj-330100.properties]

On the secured broker (scripts/run.sh's default) give the agency's client file: the adapter
then connects as the agency's own principal (TLS, SASL/SCRAM).

It is the adapter `caselinkctl conformance` runs in the tests (docs/integrators.md §11).
Exit 0 when the referral was delivered and the feedback idle time passed, 1 when delivery failed.
"""
from __future__ import annotations

import argparse
import datetime
import sys
import time
import uuid

from confluent_kafka import Producer

from caselink.v1 import envelope_pb2, referral_pb2
from caselink_client.connection import client_config
from caselink_client.consumer import CaselinkConsumer
from caselink_client.envelope import encode_headers
from caselink_client.receipts import feedback_acknowledgement

ACKNOWLEDGED_TYPES = {"filing_decision", "prosecution_decision", "evidence_receipt", "standards_assessment"}
# The adapter's own namespace for derived acknowledgement ids (any fixed UUID works).
ACK_NAMESPACE = uuid.UUID("6f6d2d0e-5c2b-4c8e-9a57-3f3c2a7e1b10")


def new_envelope(case_id: str, agency: str, event_id: str) -> envelope_pb2.Envelope:
    env = envelope_pb2.Envelope()
    env.event_id = event_id
    env.case_id = case_id
    env.producer_agency_id = agency
    now = datetime.datetime.now(datetime.timezone.utc)
    env.occurred_at.FromDatetime(now)
    env.recorded_at.FromDatetime(now)
    env.schema_version = 1
    env.correlation_id = case_id
    return env


def referral(case_id: str, agency: str) -> envelope_pb2.Envelope:
    env = new_envelope(case_id, agency, str(uuid.uuid4()))
    env.event_type = "caselink.v1.CaseReferral"
    r = env.case_referral
    r.transfer_letter_number = "杭环移〔2026〕12号"
    r.referring_agency.organ_id = agency
    r.referring_agency.name = "杭州市生态环境局"
    r.referring_agency.kind = referral_pb2.ORGAN_KIND_ADMINISTRATIVE_AGENCY
    r.target_police_organ.organ_id = "ga-330100"
    r.target_police_organ.name = "杭州市公安局"
    r.target_police_organ.kind = referral_pb2.ORGAN_KIND_POLICE
    r.offence_code = "pollution_environment"
    r.offence_name = "污染环境罪"
    r.jurisdiction.province_code = "330000"
    r.jurisdiction.city_code = "330100"
    fact = r.facts.add()
    fact.name = "heavy_metal_multiple"
    fact.number = 4.2
    fact.unit = "multiple"
    r.act_date = "2026-09-14"
    r.discovery_date = "2026-09-14"
    return env


def acknowledgement(feedback: envelope_pb2.Envelope, agency: str) -> envelope_pb2.Envelope:
    event_id = str(uuid.uuid5(ACK_NAMESPACE, f"{feedback.event_id}/{agency}"))
    env = new_envelope(feedback.case_id, agency, event_id)
    env.event_type = "caselink.v1.FeedbackAcknowledged"
    env.causation_id = feedback.event_id
    # The receipt names the record by content too (docs/contracts/signing.md "Receipts"), so
    # `caselinkctl audit verify` can check it against the feedback topic.
    env.feedback_acknowledged.CopyFrom(feedback_acknowledgement(feedback, agency, f"{agency}-adapter"))
    return env


def publish(producer: Producer, topic: str, env: envelope_pb2.Envelope) -> None:
    """Produces and waits for the broker's acknowledgement; raises when it failed."""
    errors = []
    producer.produce(topic, key=env.case_id.encode(), value=env.SerializeToString(deterministic=True),
                     headers=encode_headers(env), on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(30)
    if not errors or errors[0] is not None:
        raise RuntimeError(f"{env.event_type} {env.event_id} not delivered: {errors[0] if errors else 'timeout'}")
    print(f"delivered {env.event_type} event_id={env.event_id} topic={topic}", flush=True)


def main(argv: list) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--agency", default="sthjj-330100")
    parser.add_argument("--case-id", required=True)
    parser.add_argument("--group", help="consumer group (default: <agency>-py-adapter)")
    parser.add_argument("--topic-prefix", default="", help="sandbox topics: prefix of every topic name")
    parser.add_argument("--idle-timeout", type=float, default=20.0, help="seconds without feedback before exiting")
    parser.add_argument("--client-config", help="the agency's broker credentials (kafka.sh client-config AGENCY)")
    args = parser.parse_args(argv)
    # The file's own bootstrap.servers gives way to --bootstrap.
    security = {k: v for k, v in client_config(args.client_config).items() if k != "bootstrap.servers"} \
        if args.client_config else {}
    producer = Producer({**security, "bootstrap.servers": args.bootstrap, "enable.idempotence": True, "acks": "all"})
    try:
        publish(producer, args.topic_prefix + "caselink.referral.v1", referral(args.case_id, args.agency))
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1
    last = time.monotonic()

    def handle(record, _message) -> None:
        nonlocal last
        if record.envelope.WhichOneof("payload") in ACKNOWLEDGED_TYPES:
            publish(producer, args.topic_prefix + "caselink.ack.v1", acknowledgement(record.envelope, args.agency))
            last = time.monotonic()

    feedback_topic = f"{args.topic_prefix}caselink.feedback.{args.agency}.v1"
    with CaselinkConsumer(args.bootstrap, args.group or f"{args.agency}-py-adapter", [feedback_topic],
                          handle, config=security) as consumer:
        while time.monotonic() - last < args.idle_timeout:
            consumer.poll_once(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

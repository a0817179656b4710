"""Against the real broker (CASELINK_KAFKA_BOOTSTRAP) after caselink's scenario ran on it
(tests/clients/scenario_records.sh makes sure it did): every record on caselink's envelope
topics decodes, and the consumer helper is read_committed, commits after the handler and is
idempotent by event id."""
import os
import re
import time
import uuid
import warnings
from collections import Counter

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from caselink_client import ENVELOPE_TOPICS, CaselinkConsumer, client_config_from_environment, encode_headers
from conftest import make_envelope



def broker_from_environment():
    """CASELINK_KAFKA_BOOTSTRAP, as caselink's services and scripts read it; KAFKA_BOOTSTRAP only as
    a deprecated alias, with a warning."""
    if os.environ.get("CASELINK_KAFKA_BOOTSTRAP"):
        return os.environ["CASELINK_KAFKA_BOOTSTRAP"]
    if os.environ.get("KAFKA_BOOTSTRAP"):
        warnings.warn("KAFKA_BOOTSTRAP is deprecated; set CASELINK_KAFKA_BOOTSTRAP", FutureWarning)
        return os.environ["KAFKA_BOOTSTRAP"]
    return None


BOOTSTRAP = broker_from_environment()
# The connection's security, as every caselink client takes it: CASELINK_KAFKA_CLIENT_CONFIG_FILE
# (the test command's secured broker: its super user's file). Empty: plaintext.
SECURITY = client_config_from_environment()


def connection(**settings):
    """librdkafka settings for the broker under test: its address, its security, then `settings`."""
    return {**SECURITY, "bootstrap.servers": BOOTSTRAP, **settings}
pytestmark = [pytest.mark.broker,
              pytest.mark.skipif(not BOOTSTRAP,
                                 reason="CASELINK_KAFKA_BOOTSTRAP is not set (scripts/test.sh sets it)")]

FEEDBACK_TOPIC = re.compile(r"^caselink\.feedback\.[a-z0-9-]+\.v1$")
# What caselink's services themselves write: each must be among the decoded records.
SERVICE_OUTPUT_TYPES = {"caselink.v1.CaseStateSnapshot", "caselink.v1.Alert", "caselink.v1.EvidenceReceipt",
                        "caselink.v1.StandardsAssessment"}


def caselink_topics():
    existing = AdminClient(connection()).list_topics(timeout=10).topics
    feedback = sorted(t for t in existing if FEEDBACK_TOPIC.match(t))
    missing = [t for t in ENVELOPE_TOPICS if t not in existing]
    assert not missing, f"topics missing on {BOOTSTRAP}: {missing} (apply deploy/topics.yaml)"
    assert feedback, "no caselink.feedback.<agency>.v1 topic"
    return list(ENVELOPE_TOPICS) + feedback


def read_all(topics, handler, on_invalid):
    consumer = CaselinkConsumer(BOOTSTRAP, f"clients-py-it-{uuid.uuid4()}", topics, handler, on_invalid=on_invalid,
                                config=SECURITY)
    with consumer:
        consumer.run(until_caught_up=True, deadline=time.monotonic() + 120)
    return consumer


def test_every_record_on_the_caselink_topics_decodes():
    types, per_topic, invalid, header_problems = Counter(), Counter(), [], []

    def handle(record, message):
        types[record.event_type] += 1
        per_topic[message.topic()] += 1
        bad = record.header_mismatches()
        if bad or record.key != record.case_id:
            header_problems.append(f"{message.topic()}[{message.partition()}]@{message.offset()}: {bad}")

    def refuse(message, error):
        invalid.append(f"{message.topic()}[{message.partition()}]@{message.offset()}: {error}")

    consumer = read_all(caselink_topics(), handle, refuse)
    print("decoded record types:", dict(sorted(types.items())))
    assert not invalid, f"{len(invalid)} record(s) could not be decoded:\n" + "\n".join(invalid[:20])
    assert not header_problems, "CloudEvents headers or key disagree with the envelope:\n" + "\n".join(header_problems[:20])
    assert SERVICE_OUTPUT_TYPES <= set(types), f"no records of {SERVICE_OUTPUT_TYPES - set(types)}: did the scenario run?"
    assert any(FEEDBACK_TOPIC.match(t) for t in per_topic), "no record on any feedback topic"
    # Feedback copies and snapshots carry ids of their own (derived from the input's event id),
    # so one event id never names two different records, across topics too.
    assert consumer.duplicates == 0, "event ids repeated across caselink's topics"


def new_topic():
    """A topic of this test's own, so its deliberately bad record is on no caselink topic."""
    name = f"it.clients.py.{uuid.uuid4().hex[:12]}"
    admin = AdminClient(connection())  # kept alive until the futures resolve
    for future in admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)]).values():
        future.result(timeout=30)
    return name


def produce(topic, records):
    producer = Producer(connection(**{"enable.idempotence": True, "partitioner": "murmur2_random"}))
    for key, value, headers in records:
        producer.produce(topic, key=key, value=value, headers=headers)
    assert producer.flush(30) == 0


def test_consumer_handles_each_event_id_once_skips_invalid_and_commits():
    case_id = f"clients-py-{uuid.uuid4().hex[:12]}"
    first, second = make_envelope("probe", case_id=case_id), make_envelope("probe", case_id=case_id)
    records = [(case_id, e.SerializeToString(), encode_headers(e)) for e in (first, second, first)]
    records.insert(1, (case_id, b"\x0a\xffnot an envelope", []))
    topic = new_topic()
    produce(topic, records)

    handled, invalid = [], []
    group = f"clients-py-it-{uuid.uuid4()}"
    consumer = CaselinkConsumer(BOOTSTRAP, group, [topic],
                                lambda record, _m: handled.append(record.event_id) if record.case_id == case_id else None,
                                on_invalid=lambda m, e: invalid.append(e.error_class) if m.key() == case_id.encode() else None,
                                config=SECURITY)
    with consumer:
        consumer.run(until_caught_up=True, deadline=time.monotonic() + 60)
        committed = consumer.committed()
    assert handled == [first.event_id, second.event_id]  # the redelivered `first` had no second effect
    assert invalid == ["envelope.undecodable"]           # and the bad record did not block the partition
    assert any(offset > 0 for offset in committed.values()), committed
    # Everything read was committed: a second consumer of the group sees none of our records.
    again = []
    with CaselinkConsumer(BOOTSTRAP, group, [topic],
                          lambda r, _m: again.append(r) if r.case_id == case_id else None,
                          config=SECURITY) as second_run:
        second_run.run(until_caught_up=True, deadline=time.monotonic() + 60)
    assert again == []


def test_the_consumer_refuses_settings_that_break_its_guarantees():
    with pytest.raises(ValueError, match="isolation.level"):
        CaselinkConsumer(BOOTSTRAP, "g", ["caselink.alert.v1"], lambda r, m: None,
                         config={"isolation.level": "read_uncommitted"})

"""caselink's topics as docs/topics.md lists them: which carry an Envelope."""

ENVELOPE_TOPICS = (
    "caselink.referral.v1",
    "caselink.decision.v1",
    "caselink.evidence.manifest.v1",
    "caselink.evidence.receipt.v1",
    "caselink.evidence.access.v1",
    "caselink.admin-penalty.v1",
    "caselink.penalty-history.v1",
    "caselink.standards.assessment.v1",
    "caselink.recommendation.v1",
    "caselink.ack.v1",
    "caselink.case.state.v1",
    "caselink.alert.v1",
    "caselink.classcase.v1",
    "caselink.classcase.facts.v1",
    "caselink.classcase.state.v1",
)

# Topics whose value is not an Envelope: caselink-feedback's own JSON changelog, and the DLQ,
# whose values are whatever failed (often a valid Envelope, by design sometimes not).
NOT_ENVELOPE_TOPICS = ("caselink.feedback-loop.state.v1", "caselink.dlq.v1")


def is_envelope_topic(topic: str) -> bool:
    """True for every caselink topic whose records are Envelopes, including the per-agency
    feedback topics (caselink.feedback.<agency-id>.v1) and the benchmark topics."""
    return topic.startswith("caselink.") and topic not in NOT_ENVELOPE_TOPICS

"""Acknowledgements that name what they acknowledge by content (docs/contracts/signing.md,
"Receipts"): the same helpers as the C++ SDK's services/lib/sdk/receipts.h.

Each carries the event digest (caselink.event-digest.v1, ``signing.event_digest_hex``) of the
envelope it acknowledges, computed from that envelope exactly as it was read (signer metadata
included), plus the case numbers the acknowledged record states. The caller sets the rest
(receipt number, who signed, its own case number where it has one), puts the message into an
envelope (``envelope.feedback_acknowledged.CopyFrom(ack)``), signs it with the acknowledging
party's key where it has one and publishes it to caselink.ack.v1 (acknowledgements) or
caselink.decision.v1 (a referral's acceptance). ``caselinkctl audit verify`` then checks the
digest against the event on the topics, and the signature against the key registry.
"""
from __future__ import annotations

from caselink.v1 import acknowledgement_pb2, case_state_pb2, decision_pb2, envelope_pb2
from caselink_client.signing import event_digest_hex


def referral_acceptance(referral: envelope_pb2.Envelope) -> decision_pb2.ReferralAccepted:
    """The police's acceptance of ``referral`` (an envelope carrying a CaseReferral):
    referral_event_id, referral_digest_hex, and from the referral the agency's
    transfer_letter_number and police_organ (its target_police_organ). The caller adds
    receipt_number, signed_by and, once registered, police_case_number."""
    accepted = decision_pb2.ReferralAccepted()
    accepted.referral_event_id = referral.event_id
    accepted.referral_digest_hex = event_digest_hex(referral)
    accepted.transfer_letter_number = referral.case_referral.transfer_letter_number
    if referral.case_referral.HasField("target_police_organ"):
        accepted.police_organ.CopyFrom(referral.case_referral.target_police_organ)
    return accepted


def feedback_acknowledgement(feedback: envelope_pb2.Envelope, agency_id: str,
                             acknowledged_by: str) -> acknowledgement_pb2.FeedbackAcknowledged:
    """``agency_id``'s acknowledgement of the feedback record ``feedback`` (as read from its
    feedback topic): feedback_event_id, feedback_digest_hex, agency_id, acknowledged_by, and the
    case numbers the record states (the police's case number of a ReferralAccepted or
    FilingDecision, the agency's transfer letter number of a ReferralAccepted). Numbers the record
    does not state stay empty; the caller may set its own agency_case_number."""
    ack = acknowledgement_pb2.FeedbackAcknowledged()
    ack.feedback_event_id = feedback.event_id
    ack.feedback_digest_hex = event_digest_hex(feedback)
    ack.agency_id = agency_id
    ack.acknowledged_by = acknowledged_by
    payload = feedback.WhichOneof("payload")
    if payload == "referral_accepted":
        ack.police_case_number = feedback.referral_accepted.police_case_number
        ack.agency_case_number = feedback.referral_accepted.transfer_letter_number
    elif payload == "filing_decision":
        ack.police_case_number = feedback.filing_decision.police_case_number
    return ack


def state_acknowledgement(snapshot: case_state_pb2.CaseStateSnapshot, party_id: str,
                          acknowledged_by: str) -> acknowledgement_pb2.StateAcknowledged:
    """``party_id``'s acknowledgement of the case state ``snapshot`` (as read from
    caselink.case.state.v1): state_version, state_hash_hex, party_id, acknowledged_by, and the two
    case numbers the snapshot states. A party that keeps its own records should set the numbers
    from them instead: caselink-sync compares them with the case's and reports a difference as a
    divergence, which is the point of acknowledging them."""
    ack = acknowledgement_pb2.StateAcknowledged()
    ack.party_id = party_id
    ack.state_version = snapshot.version
    ack.state_hash_hex = snapshot.state_hash_hex
    ack.acknowledged_by = acknowledged_by
    ack.agency_case_number = snapshot.agency_case_number
    ack.police_case_number = snapshot.police_case_number
    return ack

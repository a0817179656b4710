"""The receipt helpers (caselink_client.receipts), as the C++ SDK's: digest of the record as read,
the case numbers it states, nothing invented. No broker."""
from caselink.v1 import case_state_pb2
from caselink_client.receipts import feedback_acknowledgement, referral_acceptance, state_acknowledgement
from caselink_client.signing import event_digest_hex
from conftest import make_envelope


def referral():
    env = make_envelope()
    env.case_referral.transfer_letter_number = "杭环移〔2026〕12号"
    env.case_referral.target_police_organ.organ_id = "ga-330100"
    env.case_referral.target_police_organ.name = "杭州市公安局"
    return env


def test_referral_acceptance_names_the_referral_by_content():
    ref = referral()
    accepted = referral_acceptance(ref)
    assert accepted.referral_event_id == ref.event_id
    assert accepted.referral_digest_hex == event_digest_hex(ref)
    assert accepted.transfer_letter_number == "杭环移〔2026〕12号"
    assert accepted.police_organ.organ_id == "ga-330100"
    assert accepted.police_case_number == ""  # the police add it once registered
    ref.case_referral.transfer_letter_number = "杭环移〔2026〕13号"
    assert referral_acceptance(ref).referral_digest_hex != accepted.referral_digest_hex


def test_feedback_acknowledgement_carries_the_case_numbers_the_record_states():
    feedback = make_envelope()
    feedback.referral_accepted.referral_event_id = "11111111-2222-4333-8444-555555555555"
    feedback.referral_accepted.police_case_number = "A3301000000002026110012"
    feedback.referral_accepted.transfer_letter_number = "杭环移〔2026〕12号"
    ack = feedback_acknowledgement(feedback, "sthjj-330100", "sthjj-330100-adapter")
    assert ack.feedback_event_id == feedback.event_id
    assert ack.feedback_digest_hex == event_digest_hex(feedback)
    assert (ack.agency_id, ack.acknowledged_by) == ("sthjj-330100", "sthjj-330100-adapter")
    assert ack.police_case_number == "A3301000000002026110012"
    assert ack.agency_case_number == "杭环移〔2026〕12号"

    decision = make_envelope()
    decision.filing_decision.police_case_number = "A3301000000002026110013"
    ack = feedback_acknowledgement(decision, "sthjj-330100", "adapter")
    assert ack.police_case_number == "A3301000000002026110013"
    assert ack.agency_case_number == ""


def test_state_acknowledgement_names_the_version_by_hash_and_both_case_numbers():
    snapshot = case_state_pb2.CaseStateSnapshot(case_id="c-1", version=7, state_hash_hex="d" * 64,
                                                agency_case_number="杭环移〔2026〕17号",
                                                police_case_number="A3301002026000917")
    ack = state_acknowledgement(snapshot, "ga-330100", "ga-330100-adapter")
    assert (ack.party_id, ack.state_version, ack.state_hash_hex) == ("ga-330100", 7, "d" * 64)
    assert ack.acknowledged_by == "ga-330100-adapter"
    assert (ack.agency_case_number, ack.police_case_number) == ("杭环移〔2026〕17号", "A3301002026000917")
    before = case_state_pb2.CaseStateSnapshot(case_id="c-1", version=1, state_hash_hex="e" * 64)
    assert state_acknowledgement(before, "ga-330100", "x").police_case_number == ""  # nothing invented

"""The chaos checker must be able to fail: each kind of finding on hand-made topic contents (no
broker). Run by ctest chaos_checker (tests/chaos/checker_test.sh)."""
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(__file__))

import checker  # noqa: E402
from caselink.v1 import envelope_pb2  # noqa: E402

CASE = "sthjj-330100-c1-l1-1-01"
FAULTS = [(100.0, "faults start"), (150.0, "kill -9 caselink-sync (pid 1)")]


class Msg:
    def __init__(self, topic, partition, offset, env):
        self._t, self._p, self._o, self._v = topic, partition, offset, env.SerializeToString()

    def topic(self): return self._t
    def partition(self): return self._p
    def offset(self): return self._o
    def value(self): return self._v
    def headers(self): return []
    def key(self): return None
    def timestamp(self): return (1, 160_000)


def envelope(field, case=CASE, causation="", event_id=None):
    env = envelope_pb2.Envelope(schema_version=1, event_id=event_id or str(uuid.uuid4()), case_id=case,
                                producer_agency_id="sthjj-330100", causation_id=causation)
    payload = getattr(env, field)
    payload.SetInParent()
    env.event_type = payload.DESCRIPTOR.full_name
    env.occurred_at.GetCurrentTime()
    env.recorded_at.GetCurrentTime()
    return env


def snapshot(version, last_event_id, timeline=()):
    env = envelope("case_state_snapshot")
    s = env.case_state_snapshot
    s.case_id, s.version, s.last_event_id = CASE, version, last_event_id
    for eid in timeline:
        s.timeline.add(event_id=eid)
    return env


def scenario_log(tmp_path, lines):
    path = tmp_path / "run.err"
    path.write_text("[scenario 1/2] env: the bureau refers the case\n" + "".join(l + "\n" for l in lines))
    return str(path)


def world(snapshot_versions=(1, 2), extra=()):
    """A referral and a decision, both in the timeline, one assessment: a clean pipeline."""
    ref = envelope("case_referral", event_id=str(uuid.uuid4()))
    dec = envelope("referral_accepted", event_id=str(uuid.uuid4()))
    ids = [ref.event_id, dec.event_id]
    records = {
        "caselink.referral.v1": [Msg("caselink.referral.v1", 0, 0, ref)],
        "caselink.decision.v1": [Msg("caselink.decision.v1", 0, 0, dec)],
        "caselink.standards.assessment.v1": [Msg("caselink.standards.assessment.v1", 0, 0,
                                                 envelope("standards_assessment", causation=ref.event_id))],
        "caselink.case.state.v1": [Msg("caselink.case.state.v1", 0, i, snapshot(v, ids[min(v, 2) - 1], ids[:v]))
                                   for i, v in enumerate(snapshot_versions)],
    }
    for topic, env in extra:
        records.setdefault(topic, []).append(Msg(topic, 0, len(records.get(topic, [])), env))
    return records


LOG = ["        sthjj-330100 → caselink.referral.v1[0]@0 via ingress",
       "        ga-330100 → caselink.decision.v1[0]@0 via sdk"]


def judge(tmp_path, records, log=LOG):
    runs = [("c1-l1-1", 3, scenario_log(tmp_path, log))]
    return checker.judge_runs(checker.View(records), runs, FAULTS)[0]


def test_a_clean_pipeline_passes(tmp_path):
    j = judge(tmp_path, world())
    assert (j.loss, j.dup, j.half, j.model) == ([], [], [], [])
    assert j.effects == 2


def test_an_acknowledged_input_missing_from_its_topic_is_a_loss(tmp_path):
    j = judge(tmp_path, world(), LOG + ["        ga-330100 → caselink.decision.v1[0]@7 via sdk"])
    assert len(j.loss) == 1 and "caselink.decision.v1[0]@7" in j.loss[0]


def test_an_input_without_its_effect_is_a_loss_naming_case_and_last_fault(tmp_path):
    j = judge(tmp_path, world(snapshot_versions=(1,)))
    assert len(j.loss) == 1
    assert CASE in j.loss[0] and "kill -9 caselink-sync" in j.loss[0]


def test_a_repeated_version_bump_is_a_duplicate(tmp_path):
    j = judge(tmp_path, world(snapshot_versions=(1, 2, 3)))
    assert any("bumped versions" in d for d in j.dup)


def test_a_version_gap_is_a_loss(tmp_path):
    j = judge(tmp_path, world(snapshot_versions=(1, 3)))
    assert any("version 3 follows version 1" in l for l in j.loss)


def test_two_assessments_of_one_referral_and_an_alert_twice_are_duplicates(tmp_path):
    records = world()
    ref_id = checker.decode(records["caselink.referral.v1"][0].value()).event_id
    alert = envelope("alert")
    alert.alert.alert_id, alert.alert.status = "a-1", 1
    j = judge(tmp_path, world(extra=[("caselink.standards.assessment.v1", envelope("standards_assessment",
                                                                                    causation=ref_id)),
                                     ("caselink.alert.v1", alert), ("caselink.alert.v1", alert)]))
    assert any("alert a-1" in d for d in j.dup)
    # the extra assessment names another referral's id (a fresh world): only the alert doubles
    records["caselink.standards.assessment.v1"].append(
        Msg("caselink.standards.assessment.v1", 0, 1, envelope("standards_assessment", causation=ref_id)))
    j = judge(tmp_path, records)
    assert any("standards_assessment" in d for d in j.dup)


def test_a_refused_request_on_the_topic_is_half_done_but_a_publish_timeout_is_in_doubt(tmp_path):
    records = world()
    unacked = envelope("evidence_manifest")
    records["caselink.evidence.manifest.v1"] = [Msg("caselink.evidence.manifest.v1", 0, 0, unacked)]
    refused = '        caselink-scenario: FAILED at step 3: ingress answered 503: {"error":{"rule":"%s"}}'
    j = judge(tmp_path, records, LOG + [refused % "publish.unavailable"])
    assert len(j.half) == 1 and "caselink.evidence.manifest.v1[0]@0" in j.half[0]
    j = judge(tmp_path, records, LOG + [refused % "publish.timeout"])
    assert (j.half, j.in_doubt_stored, j.refused_503) == ([], 1, 1)

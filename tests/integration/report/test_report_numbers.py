"""it_report_numbers: caselinkctl report's numbers equal numbers computed independently.

A generated, fixed data set (deterministic seed, 2019 so no other test's events fall in the
period) is produced to the case topics: several agencies, offences and regions, filed / not filed
/ undecided cases, closed deadlines, overdue alerts (one withdrawn), supervision clues with and
without a follow-up, recommendations with replies and follow-ups, and class cases. Then
`caselinkctl report --format json` runs for several jurisdictions, and this file reads the same
topics with confluent-kafka and the Python client's generated decoders and computes every number
from the definitions in docs/reports.md. The two computations share no code. Finally a PDF is
printed: it must be a PDF with pages (no Chromium = failure, not a skip).

The event ids come from the seed, so a second run on the same broker writes the same events again:
the report must then count them once (its dedup by event_id, on the real path)."""
import datetime
import json
import os
import random
import re
import subprocess
import time
import uuid
from collections import Counter, defaultdict

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from caselink.v1 import envelope_pb2, decision_pb2, alert_pb2, recommendation_pb2, referral_pb2, case_state_pb2
from caselink_client import client_config_from_environment, decode, encode_headers

BOOTSTRAP = os.environ.get("CASELINK_KAFKA_BOOTSTRAP")
# Security as every caselink client takes it (the test command's secured broker: its super user).
SECURITY = client_config_from_environment()
CTL = os.environ.get("CASELINKCTL_BIN")
SOURCE = os.environ.get("CASELINK_SOURCE_DIR", os.getcwd())

CST = datetime.timezone(datetime.timedelta(hours=8))
FROM, TO = "2019-01-01", "2019-07-01"
DAY, HOUR = 86400, 3600
TOPICS = ["caselink.referral.v1", "caselink.decision.v1", "caselink.admin-penalty.v1",
          "caselink.recommendation.v1", "caselink.case.state.v1", "caselink.alert.v1", "caselink.classcase.v1"]
AGENCIES = [("sthjj-330100", "杭州市生态环境局", ["pollution_environment"]),
            ("rsj-330106", "杭州市西湖区人力资源和社会保障局", ["wage_arrears"]),
            ("scjgj-330200", "宁波市市场监督管理局", ["fake_products", "illegal_business"]),
            ("sthjj-440100", "广州市生态环境局", ["pollution_environment"]),
            ("swj-440300", "国家税务总局深圳市税务局", ["tax_evasion"])]
JURISDICTIONS = {"": "", "330100": "city", "330000": "province", "440300": "city"}


def cst_seconds(date: str) -> int:
    return int(datetime.datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=CST).timestamp())


# ------------------------------------------------------------------------------------------
# The data set
# ------------------------------------------------------------------------------------------

class DataSet:
    """Builds envelopes with seeded ids and remembers where each goes."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.records = []  # (topic, envelope)

    def envelope(self, topic, case_id, t, producer, field):
        env = envelope_pb2.Envelope(event_id=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                                    case_id=case_id, producer_agency_id=producer, schema_version=1)
        env.occurred_at.seconds = t
        env.recorded_at.seconds = t + 5
        getattr(env, field).SetInParent()
        env.event_type = getattr(env, field).DESCRIPTOR.full_name
        env.correlation_id = env.event_id
        self.records.append((topic, env))
        return env

    def referral(self, case_id, t, agency, offence):
        env = self.envelope("caselink.referral.v1", case_id, t, agency[0], "case_referral")
        r = env.case_referral
        r.referring_agency.organ_id, r.referring_agency.name = agency[0], agency[1]
        r.offence_code, r.offence_name = offence, offence.replace("_", " ")
        return env

    def filing(self, case_id, t, police, outcome):
        env = self.envelope("caselink.decision.v1", case_id, t, police, "filing_decision")
        env.filing_decision.outcome = outcome
        return env

    def snapshot(self, case_id, version, last, deadlines):
        env = self.envelope("caselink.case.state.v1", case_id, last.occurred_at.seconds, "caselink-sync",
                            "case_state_snapshot")
        s = env.case_state_snapshot
        s.case_id, s.version, s.last_event_id = case_id, version, last.event_id
        s.last_event_type = last.event_type
        s.last_event_occurred_at.seconds = last.occurred_at.seconds
        for (deadline_id, step, start, due, status, closed_by) in deadlines:
            d = s.deadlines.add(deadline_id=deadline_id, step=step, status=status, closed_by_event_id=closed_by)
            d.started_at.seconds, d.due_at.seconds = start, due
            d.rule.rule_id, d.rule.rule_version = f"general.{step}", "2026.2"
            d.rule.legal_source, d.rule.confidence = "S1 Art 5, 8 (test data)", 1
        return env

    def alert(self, case_id, t, kind, alert_id, status=alert_pb2.ALERT_STATUS_RAISED, step="", reason=0):
        env = self.envelope("caselink.alert.v1", case_id, t, "caselink-sync", "alert")
        a = env.alert
        a.alert_id, a.kind, a.status, a.severity = alert_id, kind, status, alert_pb2.ALERT_SEVERITY_CRITICAL
        if step:
            a.deadline.deadline_id, a.deadline.step = f"{step}#1", step
        if reason:
            a.supervision_clue.reason = reason
        return env


def closing(ds, case_id, version, step, start, limit, stop_event):
    stop = stop_event.occurred_at.seconds
    status = case_state_pb2.DEADLINE_STATUS_MET if stop < start + limit else case_state_pb2.DEADLINE_STATUS_OVERDUE
    ds.snapshot(case_id, version, stop_event, [(f"{step}#1", step, start, start + limit, status, stop_event.event_id)])


def case_with_referral(ds, i, t_ref):
    rng = ds.rng
    agency = AGENCIES[i % len(AGENCIES)]
    police = "ga-" + agency[0].split("-")[1]
    case_id = f"rpt-{agency[0]}-{i:04d}"
    ref = ds.referral(case_id, t_ref, agency, rng.choice(agency[2]))
    closing(ds, case_id, 1, "transfer", t_ref - rng.randint(2, 40) * HOUR, DAY, ref)
    fate = rng.random()
    due = t_ref + 3 * DAY
    if fate > 0.85:  # undecided: the deadline stays open and runs overdue
        ds.snapshot(case_id, 2, ref, [("police_filing_review#1", "police_filing_review", t_ref, due,
                                       case_state_pb2.DEADLINE_STATUS_OPEN, "")])
        ds.alert(case_id, due, alert_pb2.ALERT_KIND_DEADLINE_OVERDUE, "overdue:police_filing_review#1",
                 step="police_filing_review")
        return
    outcome = decision_pb2.FILING_OUTCOME_FILED if fate < 0.55 else decision_pb2.FILING_OUTCOME_NOT_FILED
    dec = ds.filing(case_id, t_ref + rng.randint(HOUR, 6 * DAY), police, outcome)
    closing(ds, case_id, 2, "police_filing_review", t_ref, 3 * DAY, dec)
    if dec.occurred_at.seconds >= due or rng.random() < 0.2:
        ds.alert(case_id, due, alert_pb2.ALERT_KIND_DEADLINE_OVERDUE, "overdue:police_filing_review#1",
                 step="police_filing_review")
        if dec.occurred_at.seconds < due:  # a timely decision reported late: the alert is withdrawn
            ds.alert(case_id, due + HOUR, alert_pb2.ALERT_KIND_DEADLINE_OVERDUE, "overdue:police_filing_review#1",
                     status=alert_pb2.ALERT_STATUS_RESOLVED, step="police_filing_review")
    t_dec = dec.occurred_at.seconds
    if outcome == decision_pb2.FILING_OUTCOME_NOT_FILED and rng.random() < 0.6:
        ds.alert(case_id, t_dec + DAY, alert_pb2.ALERT_KIND_SUPERVISION_CLUE, "clue:refusal",
                 reason=alert_pb2.SUPERVISION_CLUE_REASON_REFUSAL_DESPITE_THRESHOLD)
        after = rng.random()
        if after < 0.4:
            ds.filing(case_id, t_dec + 10 * DAY, police, decision_pb2.FILING_OUTCOME_FILED)
        elif after < 0.7:
            act = ds.envelope("caselink.decision.v1", case_id, t_dec + 5 * DAY, "jcy-" + police[3:],
                              "filing_supervision_action")
            act.filing_supervision_action.step = decision_pb2.FILING_SUPERVISION_STEP_EXPLANATION_REQUESTED
    if outcome == decision_pb2.FILING_OUTCOME_FILED and rng.random() < 0.15:
        ds.filing(case_id, t_dec + 20 * DAY, police, decision_pb2.FILING_OUTCOME_REVOKED)
    if rng.random() < 0.4:
        recommendation(ds, case_id, t_ref + 20 * DAY, agency[0], "jcy-" + police[3:])


def recommendation(ds, case_id, t, recipient, procuratorate):
    rng = ds.rng
    rec_id = f"rec-{case_id}"
    ds.envelope("caselink.recommendation.v1", case_id, t, procuratorate,
                "recommendation_issued").recommendation_issued.recommendation_id = rec_id
    outcome = rng.choice([recommendation_pb2.REPLY_OUTCOME_ADOPTED, recommendation_pb2.REPLY_OUTCOME_PARTLY_ADOPTED,
                          recommendation_pb2.REPLY_OUTCOME_NOT_ADOPTED, None])
    if outcome is not None:
        reply = ds.envelope("caselink.recommendation.v1", case_id, t + 30 * DAY, recipient, "recommendation_replied")
        reply.recommendation_replied.recommendation_id, reply.recommendation_replied.outcome = rec_id, outcome
    for k in range(rng.randint(0, 2)):
        f = ds.envelope("caselink.recommendation.v1", case_id, t + (40 + 20 * k) * DAY, procuratorate,
                        "recommendation_followed_up")
        f.recommendation_followed_up.recommendation_id = rec_id
        f.recommendation_followed_up.rectification = rng.choice([1, 2, 3])


def penalty_case(ds, i, t):
    agency = AGENCIES[i % len(AGENCIES)]
    case_id = f"rpt-penalty-{agency[0]}-{i:04d}"
    p = ds.envelope("caselink.admin-penalty.v1", case_id, t, agency[0], "administrative_penalty_reported")
    p.administrative_penalty_reported.decision_number = f"罚-{i}"
    p.administrative_penalty_reported.deciding_agency.organ_id = agency[0]
    ds.alert(case_id, t + HOUR, alert_pb2.ALERT_KIND_SUPERVISION_CLUE, "clue:penalty",
             reason=alert_pb2.SUPERVISION_CLUE_REASON_PENALTY_INSTEAD_OF_TRANSFER)
    if ds.rng.random() < 0.4:
        ds.referral(case_id, t + 7 * DAY, agency, agency[2][0])


def class_case(ds, i, t, members):
    """A ClassCaseOpened of caselink-classcase over `members` (issue 18 §1)."""
    env = ds.envelope("caselink.classcase.v1", f"rpt-cc-{i:02d}", t, "caselink-classcase", "class_case_opened")
    opened = env.class_case_opened
    opened.class_case_id = env.case_id
    opened.model.model_id = ds.rng.choice(["penalty_instead_of_transfer_quarter", "repeated_penalty_same_subject_year"])
    opened.model.model_version = "1"
    for m in members:
        opened.members.add(case_id=m, event_id=env.event_id + "-" + m)


def build_data_set():
    ds = DataSet(seed=1804)
    start, end = cst_seconds("2018-12-01"), cst_seconds("2019-07-31")
    for i in range(40):
        case_with_referral(ds, i, ds.rng.randint(start, end))
    case_with_referral(ds, 40, cst_seconds(FROM))  # the first instant of the period: in
    case_with_referral(ds, 41, cst_seconds(TO))    # the first instant after it: out
    for i in range(10):
        penalty_case(ds, 100 + i, ds.rng.randint(start, end))
    penalised = [f"rpt-penalty-{AGENCIES[i % len(AGENCIES)][0]}-{i:04d}" for i in range(100, 110)]
    for i in range(6):  # placed by their members: some in Zhejiang, some in Guangdong, some in both
        class_case(ds, i, ds.rng.randint(start, end), ds.rng.sample(penalised, 3))
    # No record is delivered twice here: the Python and Java client suites read these topics too
    # and hold that one event id names one record. Repeated deliveries are counted once by the
    # fold's unit tests (report_test: ReportReferrals.ARepeatedRecordIsCountedOnce, ReportClassCases).
    return ds.records


def produce(records):
    producer = Producer({**SECURITY, "bootstrap.servers": BOOTSTRAP, "enable.idempotence": True, "linger.ms": 5})
    for topic, env in records:
        producer.produce(topic, key=env.case_id.encode(), value=env.SerializeToString(), headers=encode_headers(env))
    assert producer.flush(30) == 0, "records still unacknowledged after 30 s"


# ------------------------------------------------------------------------------------------
# Reading the topics, and the numbers computed independently (docs/reports.md definitions)
# ------------------------------------------------------------------------------------------

def read_topics():
    consumer = Consumer({**SECURITY, "bootstrap.servers": BOOTSTRAP, "group.id": f"it-report-{uuid.uuid4()}",
                         "isolation.level": "read_committed", "enable.auto.commit": False,
                         "enable.partition.eof": True})
    ends, assignment = {}, []
    for topic in TOPICS:
        for p in consumer.list_topics(topic, timeout=10).topics[topic].partitions:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            ends[(topic, p)] = high
            assignment.append(TopicPartition(topic, p, 0 if high else -1))
    pending = {tp for tp, high in ends.items() if high > 0}
    consumer.assign([tp for tp in assignment if (tp.topic, tp.partition) in pending])
    envelopes, deadline = [], time.monotonic() + 60
    while pending and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        tp = (msg.topic(), msg.partition())
        if msg.error():
            if msg.error().code() == -191 and msg.offset() >= ends[tp] - 1:  # _PARTITION_EOF
                pending.discard(tp)
            continue
        if msg.value() is not None:
            try:
                envelopes.append(decode(msg.value(), msg.headers(), msg.key()).envelope)
            except ValueError:
                pass  # not an envelope: the report skips it too
        if msg.offset() >= ends[tp] - 1:
            pending.discard(tp)
    consumer.close()
    assert not pending, f"partitions not read to their end in 60 s: {sorted(pending)}"
    return envelopes


def organ_code(organ_id):
    m = re.search(r"-(\d{6})$", organ_id or "")
    return m.group(1) if m else None


class Independent:
    """The report's numbers recomputed from the definitions in docs/reports.md."""

    def __init__(self, envelopes):
        self.events = {}
        for env in envelopes:
            self.events.setdefault(env.event_id, env)  # a repeated event_id counts once
        self.by_kind = defaultdict(list)
        for env in self.events.values():
            self.by_kind[env.WhichOneof("payload")].append(env)
        self.home = self._home_organs()

    def _home_organs(self):
        referring, reporting, earliest = {}, {}, {}
        for env in self.events.values():
            kind = env.WhichOneof("payload")
            if kind == "case_referral":
                org = env.case_referral.referring_agency.organ_id
                if org and (env.case_id not in referring or org < referring[env.case_id]):
                    referring[env.case_id] = org
            if kind == "suspected_crime_reported":
                org = env.suspected_crime_reported.reporting_agency.organ_id
                if org and (env.case_id not in reporting or org < reporting[env.case_id]):
                    reporting[env.case_id] = org
            if organ_code(env.producer_agency_id):
                key = (env.occurred_at.seconds, env.event_id)
                if env.case_id not in earliest or key < earliest[env.case_id][0]:
                    earliest[env.case_id] = (key, env.producer_agency_id)
        cases = set(referring) | set(reporting) | set(earliest)
        return {c: referring.get(c) or reporting.get(c) or earliest[c][1] for c in cases}

    def in_scope(self, case_id, t, period, code, level):
        if not (period[0] <= t < period[1]):
            return False
        if not code:
            return True
        organ = organ_code(self.home.get(case_id, ""))
        digits = {"province": 2, "city": 4, "county": 6}[level]
        return organ is not None and organ[:digits] == code[:digits]

    def compute(self, period, code, level):
        scope = lambda case_id, t: self.in_scope(case_id, t, period, code, level)  # noqa: E731
        return {"referrals": self.referrals(scope), "filing": self.filing(scope), "steps": self.steps(scope),
                "overdue": self.overdue(scope), "supervision_clues": self.clues(scope),
                "recommendations": self.recommendations(scope), "class_cases": self.class_cases(scope)}

    def class_cases(self, scope):
        chosen = [e for e in self.by_kind["class_case_opened"]
                  if any(scope(c, e.occurred_at.seconds)
                         for c in [e.case_id] + [m.case_id for m in e.class_case_opened.members])]
        return {"opened": len(chosen), "by_model": dict(Counter(e.class_case_opened.model.model_id for e in chosen))}

    def referrals(self, scope):
        rows = [e for e in self.by_kind["case_referral"] if scope(e.case_id, e.occurred_at.seconds)]
        return {"total": len(rows),
                "by_agency": dict(Counter(e.case_referral.referring_agency.organ_id for e in rows)),
                "by_offence": dict(Counter(e.case_referral.offence_code for e in rows))}

    def filing(self, scope):
        outcomes = Counter(e.filing_decision.outcome for e in self.by_kind["filing_decision"]
                           if scope(e.case_id, e.occurred_at.seconds))
        filed, not_filed = outcomes[decision_pb2.FILING_OUTCOME_FILED], outcomes[decision_pb2.FILING_OUTCOME_NOT_FILED]
        return {"filed": filed, "not_filed": not_filed, "revoked": outcomes[decision_pb2.FILING_OUTCOME_REVOKED],
                "rate": (filed, filed + not_filed)}

    def steps(self, scope):
        latest, closed_by, fallback = {}, {}, {}
        for env in self.by_kind["case_state_snapshot"]:
            snap = env.case_state_snapshot
            for d in snap.deadlines:
                key = (env.case_id, d.deadline_id)
                if key not in latest or snap.version >= latest[key][0]:
                    latest[key] = (snap.version, d)
                if d.closed_by_event_id and d.status in (case_state_pb2.DEADLINE_STATUS_MET,
                                                         case_state_pb2.DEADLINE_STATUS_OVERDUE):
                    closed_by[key] = d.closed_by_event_id
                    if snap.last_event_id == d.closed_by_event_id:
                        fallback[key] = snap.last_event_occurred_at.seconds
        per_step = defaultdict(list)
        for key, event_id in closed_by.items():
            d = latest[key][1]
            # The closing event may be on a topic the report does not read (docs/reports.md):
            # then the snapshot that it made last says when it happened, or the step is not timed.
            stop = self.events[event_id].occurred_at.seconds if event_id in self.events else fallback.get(key)
            if stop is None:
                continue
            if d.step and scope(key[0], stop):
                per_step[d.step].append((stop - d.started_at.seconds, d.due_at.seconds - d.started_at.seconds,
                                         stop >= d.due_at.seconds))
        out = {}
        for step, rows in per_step.items():
            durations = sorted(r[0] for r in rows)
            out[step] = {"count": len(rows), "median": durations[(len(rows) - 1) // 2], "max": durations[-1],
                         "limit_min": min(r[1] for r in rows), "limit_max": max(r[1] for r in rows),
                         "exceeded": sum(1 for r in rows if r[2])}
        return out

    def _alerts(self, scope, kinds):
        raised, withdrawn, info = {}, set(), {}
        for env in self.by_kind["alert"]:
            a, key = env.alert, (env.case_id, env.alert.alert_id)
            if a.kind not in kinds:
                continue
            if a.status == alert_pb2.ALERT_STATUS_RESOLVED:
                withdrawn.add(key)
            elif a.status == alert_pb2.ALERT_STATUS_RAISED:
                raised[key] = min(raised.get(key, env.occurred_at.seconds), env.occurred_at.seconds)
                info[key] = a
        return {k: (t, k in withdrawn, info[k]) for k, t in raised.items() if scope(k[0], t)}

    def overdue(self, scope):
        alerts = self._alerts(scope, {alert_pb2.ALERT_KIND_DEADLINE_OVERDUE,
                                      alert_pb2.ALERT_KIND_RECOMMENDATION_REPLY_OVERDUE})
        by_step = defaultdict(lambda: [0, 0])
        for _, w, a in alerts.values():
            by_step[a.deadline.step or "(not stated)"][0] += 1
            by_step[a.deadline.step or "(not stated)"][1] += int(w)
        withdrawn = sum(1 for _, w, _ in alerts.values() if w)
        return {"raised": len(alerts), "withdrawn": withdrawn, "standing": len(alerts) - withdrawn,
                "by_step": {s: tuple(v) for s, v in by_step.items()}}

    def _after(self, case_id, t):
        """What followed a clue in its case: filed, referred, under_supervision, or None."""
        found = set()
        for env in self.events.values():
            if env.case_id != case_id or env.occurred_at.seconds < t:
                continue
            kind = env.WhichOneof("payload")
            if (kind == "filing_decision" and env.filing_decision.outcome == decision_pb2.FILING_OUTCOME_FILED) or (
                    kind == "filing_supervision_action"
                    and env.filing_supervision_action.step == decision_pb2.FILING_SUPERVISION_STEP_FILED_ON_NOTICE):
                found.add("filed")
            elif kind == "case_referral":
                found.add("referred")
            elif kind in ("filing_supervision_action", "recommendation_issued", "procuratorial_opinion"):
                found.add("under_supervision")
        for outcome in ("filed", "referred", "under_supervision"):
            if outcome in found:
                return outcome
        return None

    def clues(self, scope):
        alerts = self._alerts(scope, {alert_pb2.ALERT_KIND_SUPERVISION_CLUE})
        outcomes = Counter()
        for (case_id, _), (t, withdrawn, _) in alerts.items():
            outcomes["withdrawn" if withdrawn else (self._after(case_id, t) or "no_follow_up")] += 1
        acted = outcomes["filed"] + outcomes["referred"] + outcomes["under_supervision"]
        reasons = Counter(alert_pb2.SupervisionClueReason.Name(a.supervision_clue.reason) for _, _, a in alerts.values())
        return {"raised": len(alerts), "by_reason": dict(reasons),
                "outcomes": {k: outcomes[k] for k in ("withdrawn", "filed", "referred", "under_supervision",
                                                      "no_follow_up")},
                "followed_up_rate": (acted, len(alerts) - outcomes["withdrawn"])}

    def recommendations(self, scope):
        issued, replies, follow_ups = {}, {}, {}
        for env in self.by_kind["recommendation_issued"]:
            rid, t = env.recommendation_issued.recommendation_id, env.occurred_at.seconds
            if rid not in issued or t < issued[rid][1]:
                issued[rid] = (env.case_id, t)
        for kind, table, value in (("recommendation_replied", replies, lambda e: e.recommendation_replied.outcome),
                                   ("recommendation_followed_up", follow_ups,
                                    lambda e: e.recommendation_followed_up.rectification)):
            for env in self.by_kind[kind]:
                rid = getattr(env, kind).recommendation_id
                key = (env.occurred_at.seconds, env.event_id)
                if rid not in table or key > table[rid][0]:
                    table[rid] = (key, value(env))
        chosen = [rid for rid, (case_id, t) in issued.items() if scope(case_id, t)]
        reply = Counter(replies[r][1] if r in replies else 0 for r in chosen)
        rect = Counter(follow_ups[r][1] if r in follow_ups else -1 for r in chosen)
        replied = reply[1] + reply[2] + reply[3]
        followed = len(chosen) - rect[-1]
        return {"issued": len(chosen),
                "replies": {"adopted": reply[1], "partly_adopted": reply[2], "not_adopted": reply[3],
                            "no_reply": len(chosen) - replied},
                "adoption_rate": (reply[1], replied), "adopted_or_partly_rate": (reply[1] + reply[2], replied),
                "rectification": {"rectified": rect[1], "in_progress": rect[2], "not_rectified": rect[3],
                                  "not_stated": rect[0], "no_follow_up": rect[-1]},
                "rectification_rate": (rect[1], followed)}


# ------------------------------------------------------------------------------------------
# The report's JSON, reduced to the same shape
# ------------------------------------------------------------------------------------------

def rate(j):
    assert (j["value"] is None) == (j["denominator"] == 0), j  # no data is null, never 0%
    if j["denominator"]:
        assert j["value"] == pytest.approx(j["numerator"] / j["denominator"])
    return (j["numerator"], j["denominator"])


def reduce_report(r):
    clues, recs = r["supervision_clues"], r["recommendations"]
    return {
        "referrals": {"total": r["referrals"]["total"],
                      "by_agency": {a["agency_id"]: a["count"] for a in r["referrals"]["by_agency"]},
                      "by_offence": {o["offence_code"]: o["count"] for o in r["referrals"]["by_offence"]}},
        "filing": {"filed": r["filing"]["filed"], "not_filed": r["filing"]["not_filed"],
                   "revoked": r["filing"]["revoked"], "rate": rate(r["filing"]["rate"])},
        "steps": {s["step"]: {"count": s["count"], "median": s["median"]["seconds"], "max": s["max"]["seconds"],
                              "limit_min": s["limit_min"]["seconds"], "limit_max": s["limit_max"]["seconds"],
                              "exceeded": s["exceeded"]} for s in r["steps"]},
        "overdue": {"raised": r["overdue"]["raised"], "withdrawn": r["overdue"]["withdrawn"],
                    "standing": r["overdue"]["standing"],
                    "by_step": {b["step"]: (b["raised"], b["withdrawn"]) for b in r["overdue"]["by_step"]}},
        "supervision_clues": {"raised": clues["raised"], "by_reason": {b["reason"]: b["count"] for b in clues["by_reason"]},
                              "outcomes": clues["outcomes"], "followed_up_rate": rate(clues["followed_up_rate"])},
        "recommendations": {"issued": recs["issued"], "replies": recs["replies"],
                            "adoption_rate": rate(recs["adoption_rate"]),
                            "adopted_or_partly_rate": rate(recs["adopted_or_partly_rate"]),
                            "rectification": recs["rectification"],
                            "rectification_rate": rate(recs["rectification_rate"])},
        "class_cases": {"opened": r["class_cases"]["opened"],
                        "by_model": {b["model_id"]: b["count"] for b in r["class_cases"]["by_model"]}},
    }


def run_report(tmp_path, fmt, code=""):
    out = tmp_path / f"report-{code or 'all'}.{fmt}"
    cmd = [CTL, "report", "--from", FROM, "--to", TO, "--format", fmt, "--out", str(out), "--bootstrap", BOOTSTRAP,
           "--organs", os.path.join(SOURCE, "rules/organs/organs.yaml"),
           "--echarts", os.path.join(SOURCE, ".local/web/node_modules/echarts/dist/echarts.min.js")]
    if code:
        cmd += ["--jurisdiction", code]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"{cmd} exited {done.returncode}: {done.stderr}"
    return out


@pytest.fixture(scope="module")
def produced():
    # tests/integration/report_numbers.sh exits 77 (skipped) without a broker; here one is required.
    assert BOOTSTRAP, "CASELINK_KAFKA_BOOTSTRAP is not set"
    assert CTL and os.access(CTL, os.X_OK), "CASELINKCTL_BIN must name the caselinkctl binary"
    records = build_data_set()
    produce(records)
    return records


def test_report_numbers_equal_the_independent_computation(produced, tmp_path):
    reports = {code: json.loads(run_report(tmp_path, "json", code).read_text()) for code in JURISDICTIONS}
    independent = Independent(read_topics())
    period = (cst_seconds(FROM), cst_seconds(TO))
    for code, level in JURISDICTIONS.items():
        expected = independent.compute(period, code, level)
        assert reduce_report(reports[code]) == expected, f"jurisdiction {code or 'all'}"
        assert reports[code]["jurisdiction"]["code"] == code
    everything = reports[""]
    # The data set is not degenerate: every kind of number has something to count.
    assert everything["referrals"]["total"] > 0 and len(everything["referrals"]["by_agency"]) == len(AGENCIES)
    assert everything["filing"]["rate"]["denominator"] > 0
    assert {s["step"] for s in everything["steps"]} == {"transfer", "police_filing_review"}
    assert any(s["exceeded"] > 0 for s in everything["steps"])
    assert everything["overdue"]["withdrawn"] > 0 and everything["overdue"]["standing"] > 0
    outcomes = everything["supervision_clues"]["outcomes"]
    assert outcomes["filed"] > 0 and outcomes["referred"] > 0 and outcomes["no_follow_up"] > 0
    assert everything["recommendations"]["rectification_rate"]["denominator"] > 0
    assert everything["class_cases"]["opened"] > 0
    # The regions split the whole: Hangzhou inside Zhejiang, Zhejiang and Shenzhen disjoint.
    assert reports["330100"]["referrals"]["total"] < reports["330000"]["referrals"]["total"]
    assert reports["330000"]["referrals"]["total"] + reports["440300"]["referrals"]["total"] < \
        everything["referrals"]["total"]


def test_the_same_data_gives_the_same_report(produced, tmp_path):
    first = run_report(tmp_path, "json").read_bytes()
    (tmp_path / "again").mkdir()
    second = run_report(tmp_path / "again", "json").read_bytes()
    assert first == second


def test_the_report_prints_to_a_pdf_with_pages(produced, tmp_path):
    assert os.access("/usr/bin/chromium", os.X_OK), \
        "no /usr/bin/chromium: install Debian's package chromium (scripts/setup.sh does); a missing PDF printer fails"
    pdf = run_report(tmp_path, "pdf", "330100").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert re.search(rb"/Type\s*/Page[^s]", pdf), "the PDF has no page"
    html = run_report(tmp_path, "html", "330100").read_text()
    assert "echarts.init(" in html and "animation = false" in html

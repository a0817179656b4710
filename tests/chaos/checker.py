"""caselink chaos checker: reads every caselink topic read_committed from the beginning, with its
own code path (confluent-kafka + the protobuf modules of clients/python, none of the services'
C++), and judges a chaos run (scripts/chaos.sh, docs/reliability.md).

Inputs (written by scripts/chaos.sh):
  runs.tsv    run_id <TAB> exit code <TAB> path of the scenario's stderr; the first line is the
              fault-free baseline run, played before any fault
  faults.tsv  epoch seconds <TAB> what was done (the printed fault schedule)

An input counts as acknowledged only when the scenario printed it as delivered: the SDK's delivery
report or the ingress's 202 (`→ topic[partition]@offset via sdk|ingress`), or an SDK-published
acknowledgement (`acknowledges version N`). Asserted:
  loss        every acknowledged input is on its topic at the acknowledged offset (read_committed)
              and has its effect: a referral/decision/penalty in its case's timeline (that of any of
              its snapshots: a snapshot carries the latest entries only) (or a
              TRANSITION_REJECTED alert caused by it), a screening assessment for every referral and
              penalty report, a receipt for every evidence manifest, an acknowledgement in the final
              snapshot's recognition
  duplicate   snapshot versions per case start at 1 and step by 0 or 1 (a re-emit without a new
              event keeps the version); no event id bumps two versions or sits twice in a timeline;
              one assessment per referral, one receipt per manifest, one feedback record per result
              and agency topic, one alert per (alert id, status); no input event id twice
  aborted     nothing of an aborted transaction is visible: read_committed hides it, and the
              duplicate checks above would see an aborted attempt's output next to its retry
  model       every case of a scenario run that completed ends like the same case of the
              fault-free baseline run (state, version, recognition, deadlines, evidence, alerts,
              timeline event types)
Loss findings are re-checked until --settle-seconds pass (the pipeline may still be catching
up); duplicates never heal, so they fail at once. Exit 0 = PASS, 1 = FAIL, 2 = usage / broker.
"""
from __future__ import annotations

import argparse
import collections
import re
import sys
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

from caselink_client.connection import client_config_from_environment
from caselink_client.envelope import DecodeError, decode

PUBLISHED = re.compile(r"→ (\S+)\[(\d+)\]@(\d+) via (sdk|ingress)")
ACKNOWLEDGED = re.compile(r"^\s+(\S+) acknowledges version (\d+)")
STEP = re.compile(r"^\[scenario \d+/\d+\] (\w+):")
TIMELINE_TOPICS = ("caselink.referral.v1", "caselink.decision.v1", "caselink.admin-penalty.v1")
SCREENED = ("case_referral", "administrative_penalty_reported")
TRANSITION_REJECTED = 5


def read_all(bootstrap, isolation):
    """Every record of every caselink topic, per topic in (partition, offset) order."""
    # Security as every caselink client takes it (chaos.sh's secured cluster: its super user).
    security = client_config_from_environment()
    consumer = Consumer({**security, "bootstrap.servers": bootstrap, "group.id": "caselink-chaos-checker",
                         "enable.auto.commit": False, "isolation.level": isolation,
                         "enable.partition.eof": True, "auto.offset.reset": "earliest"})
    try:
        topics = consumer.list_topics(timeout=30).topics
        tps = [TopicPartition(t, p, 0) for t in sorted(topics) if t.startswith("caselink.")
               for p in topics[t].partitions]
        consumer.assign(tps)
        pending = {(tp.topic, tp.partition) for tp in tps}
        records = collections.defaultdict(list)
        deadline = time.monotonic() + 120
        while pending and time.monotonic() < deadline:
            m = consumer.poll(1.0)
            if m is None:
                continue
            if m.error():
                if m.error().code() == -191:  # _PARTITION_EOF
                    pending.discard((m.topic(), m.partition()))
                    continue
                raise KafkaException(m.error())
            records[m.topic()].append(m)
        if pending:
            raise RuntimeError(f"could not read to the end of {sorted(pending)[:3]}…")
        return records
    finally:
        consumer.close()


class View:
    """The decoded topics: indexes the checks use."""

    def __init__(self, records):
        self.at = {}                                   # (topic, partition, offset) -> (decoded, ts)
        self.snapshots = collections.defaultdict(list)  # case -> [snapshot] in log order
        self.by_cause = collections.defaultdict(list)   # (topic, payload field, causation) -> [decoded]
        self.alerts = collections.defaultdict(list)     # case -> [(alert, ts)]
        self.event_ids = collections.Counter()          # (input topic, event id)
        self.undecodable = []
        for topic, msgs in records.items():
            for m in msgs:
                if topic in ("caselink.feedback-loop.state.v1", "caselink.dlq.v1"):
                    continue
                try:
                    d = decode(m.value(), m.headers(), m.key())
                except DecodeError as e:
                    self.undecodable.append(f"{topic}[{m.partition()}]@{m.offset()}: {e}")
                    continue
                ts = m.timestamp()[1] / 1000.0
                self.at[(topic, m.partition(), m.offset())] = (d, ts)
                self.by_cause[(topic if not topic.startswith("caselink.feedback.") else topic,
                               d.payload_field, d.causation_id)].append((d, ts))
                if d.payload_field == "case_state_snapshot":
                    self.snapshots[d.case_id].append((d.payload, ts))
                elif d.payload_field == "alert":
                    self.alerts[d.case_id].append((d, ts))
                if topic in TIMELINE_TOPICS + ("caselink.evidence.manifest.v1", "caselink.ack.v1"):
                    self.event_ids[(topic, d.event_id)] += 1
        self.dlq = len(records.get("caselink.dlq.v1", []))

    def final(self, case):
        snaps = self.snapshots.get(case)
        return snaps[-1][0] if snaps else None


def parse_run(path):
    """The acknowledged inputs of one scenario run: [(kind, detail, story key)]."""
    acked, key = [], None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if (s := STEP.match(line)):
                key = s.group(1)
            if (p := PUBLISHED.search(line)):
                acked.append(("published", (p.group(1), int(p.group(2)), int(p.group(3)), p.group(4)), key))
            elif (a := ACKNOWLEDGED.match(line)):
                acked.append(("ack", (a.group(1), int(a.group(2))), key))
    return acked


class Judge:
    def __init__(self, view, faults):
        self.v, self.faults = view, faults
        self.loss, self.dup, self.model, self.half = [], [], [], []
        self.effects = 0

    def last_fault_before(self, ts):
        before = [f for f in self.faults if f[0] <= ts]
        return f"{before[-1][1]} (at +{before[-1][0] - self.faults[0][0]:.0f} s)" if before else "none (before any fault)"

    def fail(self, kind, case, what, ts):
        getattr(self, kind).append(f"{kind.upper()}: case {case}: {what}; last fault before it: "
                                   f"{self.last_fault_before(ts)}")

    def check_published(self, topic, partition, offset, via, case_of_run):
        got = self.v.at.get((topic, partition, offset))
        if got is None:
            self.fail("loss", case_of_run, f"acknowledged {topic}[{partition}]@{offset} via {via} is not "
                      "visible read_committed", time.time())
            return None
        d, ts = got
        self.effects += 1
        field = d.payload_field
        if topic in TIMELINE_TOPICS and self.v.final(d.case_id) is not None:
            # The snapshot's timeline holds the latest entries only: look at every snapshot's.
            timeline = {e.event_id for s, _ in self.v.snapshots[d.case_id] for e in s.timeline}
            rejected = any(a.payload.kind == TRANSITION_REJECTED and a.causation_id == d.event_id
                           for a, _ in self.v.alerts.get(d.case_id, []))
            if d.event_id not in timeline and not rejected:
                self.fail("loss", d.case_id, f"{d.event_type} {d.event_id} ({topic}[{partition}]@{offset}) is "
                          "in no timeline of the case and was not rejected", ts)
        if field in SCREENED and not self.v.by_cause[("caselink.standards.assessment.v1", "standards_assessment",
                                                      d.event_id)]:
            self.fail("loss", d.case_id, f"no screening assessment for {d.event_type} {d.event_id}", ts)
        if field == "evidence_manifest" and not self.v.by_cause[("caselink.evidence.receipt.v1",
                                                                 "evidence_receipt", d.event_id)]:
            self.fail("loss", d.case_id, f"no evidence receipt for manifest {d.event_id}", ts)
        return d.case_id

    def check_ack(self, party, version, case):
        final = self.v.final(case) if case else None
        self.effects += 1
        if final is None or not any(a.party_id == party and a.state_version >= version
                                    for a in final.recognition.acknowledgements):
            self.fail("loss", case, f"the acknowledgement of version {version} by {party} is not in the "
                      "final snapshot's recognition", time.time())

    def check_duplicates(self):
        for case, snaps in self.v.snapshots.items():
            prev, bumped_by = 0, {}
            for s, ts in snaps:
                if s.version == 0:
                    continue
                if s.version not in (prev, prev + 1):
                    kind = "loss" if s.version > prev + 1 else "dup"
                    self.fail(kind, case, f"snapshot version {s.version} follows version {prev}", ts)
                if s.version == prev + 1:
                    if s.last_event_id in bumped_by:
                        self.fail("dup", case, f"event {s.last_event_id} bumped versions {bumped_by[s.last_event_id]} "
                                  f"and {s.version}", ts)
                    bumped_by[s.last_event_id] = s.version
                prev = max(prev, s.version)
            ids = collections.Counter(e.event_id for e in snaps[-1][0].timeline)
            for eid, n in ids.items():
                if n > 1:
                    self.fail("dup", case, f"event {eid} is {n} times in the final timeline", snaps[-1][1])
        for (topic, field, cause), outs in self.v.by_cause.items():
            one_each = (topic in ("caselink.standards.assessment.v1", "caselink.evidence.receipt.v1",
                                  "caselink.penalty-history.v1")
                        or topic.startswith("caselink.feedback."))
            if one_each and cause and len(outs) > 1:
                self.fail("dup", outs[0][0].case_id, f"{len(outs)} × {field} on {topic} caused by {cause}", outs[1][1])
        for case, alerts in self.v.alerts.items():
            seen = collections.Counter((a.payload.alert_id, a.payload.status) for a, _ in alerts)
            for (aid, status), n in seen.items():
                if n > 1:
                    self.fail("dup", case, f"alert {aid} status {status} published {n} times", alerts[-1][1])
        for (topic, eid), n in self.v.event_ids.items():
            if n > 1:
                self.fail("dup", "-", f"input event {eid} is {n} times on {topic}", time.time())


def shape(view, case):
    """What a case ends as, without ids and times: compared against the baseline."""
    s = view.final(case)
    alerts = sorted((a.payload.kind, a.payload.status) for a, _ in view.alerts.get(case, []))
    if s is None:
        return ("no snapshot", tuple(alerts))
    return (s.state, s.version, s.recognition.recognized_version, s.evidence.receipt_status,
            tuple(sorted((d.step, d.status) for d in s.deadlines)), tuple(alerts),
            tuple(e.event_type for e in s.timeline))


def unacknowledged(view, run_id, acked):
    """Inputs of a run's cases (case ids end in -<run id>-0N) on the input topics that the run
    never saw acknowledged, with their record times: an ambiguous outcome after a lost connection
    or a 503 publish.timeout, a half-done request after any other 503."""
    marker = f"-{run_id}-0"
    return [(f"{t}[{p}]@{o}", ts) for (t, p, o), (d, ts) in view.at.items()
            if t in TIMELINE_TOPICS + ("caselink.evidence.manifest.v1",) and marker in d.case_id
            and (t, p, o) not in acked]


REFUSED = re.compile(r'answered 503: .*"rule":"([^"]*)"')


def judge_refusals(j, run_id, path, extra):
    """A 503 is a refusal, so nothing of the request may be stored, except publish.timeout: the
    ingress could not learn the broker's answer in time and says the event may still be stored
    (docs/services/ingress.md, "Acknowledgement and broker trouble"); that one is in doubt."""
    with open(path, encoding="utf-8", errors="replace") as f:
        rules = REFUSED.findall(f.read())
    j.refused_503 += len(rules)
    if not rules:
        return
    if all(r == "publish.timeout" for r in rules):
        j.in_doubt_stored += len(extra)
        return
    for where, ts in extra:
        j.fail("half", f"run {run_id}", f"the ingress answered 503 {', '.join(rules)} but {where} is on the "
               "topic (a refused request half-done)", ts)


def judge_runs(view, runs, faults):
    j = Judge(view, faults)
    cases_of = {}
    j.unacked, j.refused_503, j.in_doubt_stored = 0, 0, 0
    for run_id, code, path in runs:
        case_by_key, acked = {}, set()
        for kind, detail, key in parse_run(path):
            if kind == "published":
                acked.add(detail[:3])
                case = j.check_published(*detail, case_of_run=f"{key} of run {run_id}")
                if case:
                    case_by_key[key] = case
            else:
                j.check_ack(*detail, case_by_key.get(key))
        cases_of[run_id] = (code, case_by_key)
        extra = unacknowledged(view, run_id, acked)
        j.unacked += len(extra)
        judge_refusals(j, run_id, path, extra)
    j.check_duplicates()
    base_id = runs[0][0]
    base = {k: shape(view, c) for k, c in cases_of[base_id][1].items()}
    completed = 0
    for run_id, (code, case_by_key) in cases_of.items():
        if run_id == base_id or code != 0:
            continue
        completed += 1
        for key, case in case_by_key.items():
            if shape(view, case) != base.get(key):
                ts = max((t for _, t in view.snapshots.get(case, [])), default=time.time())
                j.fail("model", case, f"ends as {shape(view, case)}, the fault-free run's {key} case as "
                       f"{base.get(key)}", ts)
    return j, completed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--runs", required=True, help="runs.tsv")
    ap.add_argument("--faults", required=True, help="faults.tsv")
    ap.add_argument("--settle-seconds", type=float, default=120)
    a = ap.parse_args()
    runs = [tuple(l.rstrip("\n").split("\t")) for l in open(a.runs, encoding="utf-8") if l.strip()]
    runs = [(r, int(c), p) for r, c, p in runs]
    faults = [(float(t), w) for t, w in (l.rstrip("\n").split("\t", 1) for l in open(a.faults, encoding="utf-8")
                                         if l.strip())]
    if runs[0][1] != 0:
        print(f"chaos checker: the fault-free baseline run {runs[0][0]} did not complete (exit {runs[0][1]})")
        return 1
    deadline = time.monotonic() + a.settle_seconds
    while True:
        records = read_all(a.bootstrap, "read_committed")
        view = View(records)
        j, completed = judge_runs(view, runs, faults)
        if j.dup or j.half or not (j.loss or j.model) or time.monotonic() > deadline:
            break
        print(f"chaos checker: {len(j.loss) + len(j.model)} finding(s) may be the pipeline catching up; "
              "reading again", file=sys.stderr)
        time.sleep(5)
    uncommitted = sum(len(m) for m in read_all(a.bootstrap, "read_uncommitted").values())
    committed = sum(len(m) for m in records.values())
    print("== fault schedule")
    for t, what in faults:
        print(f"  +{t - faults[0][0]:6.1f} s  {what}")
    print("== checker (read_committed, every caselink topic from the beginning)")
    print(f"  scenario runs: {len(runs)} (baseline {runs[0][0]}; {completed} completed under faults, "
          f"{sum(1 for r in runs[1:] if r[1] != 0)} cut short by a fault)")
    print(f"  acknowledged inputs checked: {j.effects}; cases: {len(view.snapshots)}; "
          f"records visible: {committed}; records of aborted transactions hidden: {max(0, uncommitted - committed)}")
    print(f"  dead-lettered: {view.dlq}; undecodable: {len(view.undecodable)}; requests the ingress refused "
          f"(503): {j.refused_503}, of them half-done: {len(j.half)}; inputs on the topics whose "
          f"acknowledgement never arrived: {j.unacked} (of them answered 503 publish.timeout, 'may still "
          f"be stored': {j.in_doubt_stored})")
    print(f"  lost: {len(j.loss)}  duplicated: {len(j.dup)}  differs from the fault-free model: {len(j.model)}")
    for line in (j.loss + j.dup + j.half + j.model + view.undecodable)[:40]:
        print("  " + line)
    ok = not (j.loss or j.dup or j.half or j.model or view.undecodable or view.dlq)
    print(f"== verdict: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

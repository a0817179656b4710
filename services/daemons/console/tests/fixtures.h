#pragma once
// Records as the follower hands them to the read model, built by hand for the tests.

#include <google/protobuf/util/time_util.h>

#include <string>

#include "services/lib/envelope/topics.h"
#include "services/tools/ctl/case_history.h"

namespace caselink::console::testing {

inline google::protobuf::Timestamp ts(const std::string& rfc3339) {
  google::protobuf::Timestamp t;
  (void)google::protobuf::util::TimeUtil::FromString(rfc3339, &t);
  return t;
}

inline v1::CaseStateSnapshot snapshot(const std::string& case_id, uint64_t version, v1::CaseState state) {
  v1::CaseStateSnapshot s;
  s.set_case_id(case_id);
  s.set_version(version);
  s.set_state(state);
  s.set_domain(v1::DOMAIN_ENVIRONMENT);
  s.set_offence_code("env-pollution");
  s.mutable_jurisdiction()->set_city_code("330100");
  auto* agency = s.add_parties();
  agency->set_party_id("sthjj-330100");
  agency->set_role(v1::PARTY_ROLE_REFERRING_AGENCY);
  auto* police = s.add_parties();
  police->set_party_id("ga-330100");
  police->set_role(v1::PARTY_ROLE_POLICE);
  return s;
}

inline v1::Deadline* add_deadline(v1::CaseStateSnapshot* s, const std::string& step, v1::DeadlineStatus status,
                                  const std::string& due) {
  auto* d = s->add_deadlines();
  d->set_deadline_id(step + "#1");
  d->set_step(step);
  d->set_status(status);
  *d->mutable_due_at() = ts(due);
  return d;
}

inline ctl::CaseRecordRef state_record(const v1::CaseStateSnapshot& s, int64_t offset) {
  ctl::CaseRecordRef r;
  r.topic = envelope::topics::kCaseState;
  r.partition = 0;
  r.offset = offset;
  r.key = s.case_id();
  r.envelope.set_case_id(s.case_id());
  r.envelope.set_event_id("snap-" + s.case_id() + "-" + std::to_string(offset));
  *r.envelope.mutable_case_state_snapshot() = s;
  r.raw = r.envelope.SerializeAsString();
  return r;
}

inline ctl::CaseRecordRef alert_record(const std::string& case_id, int64_t offset) {
  ctl::CaseRecordRef r;
  r.topic = envelope::topics::kAlert;
  r.partition = 0;
  r.offset = offset;
  r.key = case_id;
  r.envelope.set_case_id(case_id);
  r.envelope.set_event_id("alert-" + std::to_string(offset));
  r.envelope.mutable_alert()->set_kind(v1::ALERT_KIND_DEADLINE_OVERDUE);
  r.envelope.mutable_alert()->mutable_deadline()->set_deadline_id("police_filing_review#1");
  *r.envelope.mutable_occurred_at() = ts("2026-11-02T00:00:00Z");
  return r;
}

inline ctl::CaseRecordRef dlq_record(const std::string& reason, const std::string& topic, int64_t offset) {
  ctl::CaseRecordRef r;
  r.topic = envelope::topics::kDlq;
  r.partition = 0;
  r.offset = offset;
  r.headers = {{"dlq.error.class", reason}, {"dlq.original.topic", topic}};
  r.raw = "not an envelope";
  return r;
}

}  // namespace caselink::console::testing

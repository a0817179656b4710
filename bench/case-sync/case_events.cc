#include "bench/case-sync/case_events.h"

#include "services/daemons/sync/tests/test_support.h"

namespace caselink::bench {

using sync::test::organ;

v1::Envelope case_event(int64_t c, int step, TimePoint t0, const std::string& ack_hash) {
  const std::string id = "bench-case-" + std::to_string(c);
  auto ev = sync::test::make(id, t0 + std::chrono::seconds(step), [&](v1::Envelope& e) {
    switch (step) {
      case 0: {
        auto* p = e.mutable_suspected_crime_reported();
        *p->mutable_reporting_agency() = organ("sthjj-330100");
        p->set_domain(v1::DOMAIN_ENVIRONMENT);
        break;
      }
      case 1: e.mutable_transfer_decided()->set_decision(v1::TRANSFER_DECISION_APPROVED); break;
      case 2: {
        auto* p = e.mutable_case_referral();
        *p->mutable_referring_agency() = organ("sthjj-330100");
        *p->mutable_target_police_organ() = organ("ga-330100");
        p->set_domain(v1::DOMAIN_ENVIRONMENT);
        p->set_copy_to_procuratorate(true);
        *p->mutable_procuratorate() = organ("jcy-330100");
        break;
      }
      case 3: *e.mutable_referral_accepted()->mutable_police_organ() = organ("ga-330100"); break;
      case 4: e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED); break;
      case 5: e.mutable_seized_items_handed_over()->set_handover_record_number("H-1"); break;
      case 6:
        e.mutable_prosecution_decision()->set_outcome(v1::PROSECUTION_OUTCOME_PROSECUTE);
        *e.mutable_prosecution_decision()->mutable_procuratorate() = organ("jcy-330100");
        break;
      case 7:
        e.mutable_court_judgment()->set_verdict(v1::VERDICT_CONVICTED);
        *e.mutable_court_judgment()->mutable_court() = organ("fy-330100");
        break;
      case 8: e.mutable_case_closed()->set_reason(v1::CASE_CLOSED_REASON_JUDGMENT_EFFECTIVE); break;
      default: {
        auto* a = e.mutable_state_acknowledged();
        a->set_party_id("ga-330100");
        a->set_state_version(9);
        a->set_state_hash_hex(ack_hash);
        break;
      }
    }
  });
  return ev.env;
}

}  // namespace caselink::bench

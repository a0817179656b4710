// caselink-feedback: routes decisions and results to the originating agency's feedback topic
// and raises alerts for unacknowledged feedback (filing deadlines are caselink-sync's).
#include "services/common/runtime/service_main.h"
#include "services/common/kafka/read_to_end.h"
#include "services/feedback/handler.h"

namespace {

// Owns the changelog reader next to the handler that uses it.
class Service final : public caselink::kafka::RecordHandler {
 public:
  Service(const caselink::runtime::ServiceContext& ctx, const caselink::feedback::Settings& s)
      : reader_(ctx.common.kafka, ctx.common.loop.group_id + "-restore", std::chrono::milliseconds(s.restore_timeout_ms),
                "feedback.restore"),
        handler_(s, ctx.clock, reader_, ctx.registry) {}
  caselink::kafka::HandlerResult handle(const caselink::ConsumedRecord& r) override { return handler_.handle(r); }
  void on_partitions_assigned(const std::vector<caselink::kafka::TopicPartition>& p) override {
    handler_.on_partitions_assigned(p);
  }
  void on_partitions_revoked(const std::vector<caselink::kafka::TopicPartition>& p) override {
    handler_.on_partitions_revoked(p);
  }
  void on_transaction_committed() override { handler_.on_transaction_committed(); }
  void on_transaction_aborted() override { handler_.on_transaction_aborted(); }
  std::vector<caselink::OutgoingRecord> on_tick(caselink::TimePoint now) override { return handler_.on_tick(now); }

 private:
  caselink::kafka::KafkaChangelogReader reader_;
  caselink::feedback::FeedbackHandler handler_;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace caselink;
  return runtime::service_main<feedback::Settings>(
      argc, argv,
      {.name = "caselink-feedback",
       .description = "routes decisions to each agency's feedback topic; alerts on missing acks",
       .defaults =
           [](runtime::CommonSettings& common) {
             common.loop.group_id = "caselink-feedback";
             // Per-case state spans several input topics: co-partitioned assignment.
             common.loop.partition_assignment_strategy = "range";
             common.loop.input_topics = {"caselink.decision.v1", "caselink.evidence.receipt.v1",
                                         "caselink.standards.assessment.v1", "caselink.referral.v1",
                                         "caselink.ack.v1"};
           },
       .bind = [](config::ConfigBinder& binder, feedback::Settings* s) { feedback::bind(binder, s); },
       .make_handler = [](const runtime::ServiceContext& ctx, const feedback::Settings& s)
           -> Result<std::unique_ptr<kafka::RecordHandler>> {
         return std::unique_ptr<kafka::RecordHandler>(std::make_unique<Service>(ctx, s));
       }});
}

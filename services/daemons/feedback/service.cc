#include "services/daemons/feedback/service.h"

#include "services/lib/kafka/read_to_end.h"

namespace caselink::feedback {

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& ctx, const Settings& s) {
  runtime::ServiceBundle bundle;
  auto& reader = bundle.make<kafka::KafkaChangelogReader>(ctx.common.kafka, ctx.common.loop.group_id + "-restore",
                                                          std::chrono::milliseconds(s.restore_timeout_ms),
                                                          "feedback.restore");
  bundle.handler = std::make_unique<FeedbackHandler>(s, ctx.clock, reader, ctx.registry);
  return bundle;
}

}  // namespace caselink::feedback

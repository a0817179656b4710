#include "services/daemons/classcase/service.h"

#include "services/lib/kafka/read_to_end.h"

namespace caselink::classcase {

void loop_defaults(kafka::LoopSettings* loop) { loop->partition_assignment_strategy = "range"; }

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& ctx, const Settings& s) {
  auto models = ModelSet::load_file(s.models_file);
  if (!models.ok()) {
    return Error::invalid("classcase.models_file: " + models.error().message, "classcase.models_file");
  }
  auto organs = organs::Registry::load_file(s.organs_file);
  if (!organs.ok()) {
    return Error::invalid("classcase.organs_file: " + organs.error().message, "classcase.organs_file");
  }
  runtime::ServiceBundle bundle;
  const auto& owned_models = bundle.make<ModelSet>(std::move(models).value());
  const auto& owned_organs = bundle.make<organs::Registry>(std::move(organs).value());
  const auto& extractor = bundle.make<Extractor>(owned_models, &owned_organs);
  const kafka::LoopSettings& loop = ctx.common.loop;
  auto& reader = bundle.own(std::shared_ptr<kafka::ChangelogReader>(std::make_unique<kafka::KafkaChangelogReader>(
      ctx.common.kafka, loop.group_id + "-restore-" + loop.instance_id, std::chrono::milliseconds(s.restore_timeout_ms),
      "classcase.restore")));
  bundle.handler = std::make_unique<ClassCaseHandler>(extractor, s, ctx.clock, &reader, &ctx.registry);
  return bundle;
}

}  // namespace caselink::classcase

#include "services/daemons/sync/service.h"

#include "services/daemons/sync/standby_follower.h"

namespace caselink::sync {

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& ctx, const Settings& s) {
  auto rules = DeadlineRules::load_directory(s.rules_directory);
  if (!rules.ok()) {
    return rules.error();
  }
  auto organs = organs::Registry::load_file(s.organs_file);
  if (!organs.ok()) {
    return Error::invalid("sync.organs_file: " + organs.error().message, "sync.organs_file");
  }
  runtime::ServiceBundle bundle;
  auto& owned_rules = bundle.make<DeadlineRules>(std::move(rules).value());
  owned_rules.set_organs(std::make_shared<const organs::Registry>(std::move(organs).value()));
  auto& engine = bundle.make<CaseEngine>(owned_rules, engine_options(s));
  const kafka::LoopSettings& loop = ctx.common.loop;
  auto& reader = bundle.own(std::shared_ptr<kafka::ChangelogReader>(
      make_kafka_state_reader(ctx.common.kafka, loop.group_id + "-restore-" + loop.instance_id, s.restore_timeout_ms,
                              read_ahead_properties(loop))));
  auto handler = std::make_unique<SyncHandler>(engine, s, ctx.clock, &reader, &ctx.registry);
  handler->set_dead_letter_context({loop.dlq_topic, ctx.name, loop.group_id});
  if (StandbyReplicas* replicas = handler->standby()) {
    // Held by the component's functions, so the bundle stops and destroys it before the handler.
    auto follower = std::make_shared<StandbyFollower>(ctx.common.kafka, loop.group_id + "-standby-" + loop.instance_id,
                                                      s.state_topic, *replicas, &ctx.registry, ctx.name,
                                                      read_ahead_properties(loop));
    bundle.components.push_back({"standby replicas", [follower] {
                                   follower->start();
                                   return Status::success();
                                 },
                                 [follower] { follower->stop(); }, {}});
  }
  bundle.handler = std::move(handler);
  return bundle;
}

}  // namespace caselink::sync

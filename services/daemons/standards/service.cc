#include "services/daemons/standards/service.h"

#include "services/lib/kafka/read_to_end.h"
#include "services/lib/logging/logging.h"
#include "services/lib/runtime/stop_signal.h"
#include "services/daemons/standards/engine/loader.h"
#include "services/daemons/standards/history_follower.h"

namespace caselink::standards {

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& context, const Settings& s) {
  auto rules = load_rule_set(s.rules_dir, rule_set_limits(s));
  if (!rules.ok()) {
    if (rules.error().reason == "standards.rules_too_large") {
      return rules.error();  // names standards.max_rules / standards.max_rule_bytes
    }
    return Error::invalid("standards.rules_dir: rule set " + s.rules_dir + " is invalid:\n" + rules.error().message);
  }
  auto organs = load_organs(s.organs_file, *rules);
  if (!organs.ok()) {
    return organs.error();
  }
  auto loader = [dir = s.rules_dir, limits = rule_set_limits(s)] { return load_rule_set(dir, limits); };
  std::atomic<bool>& reload = runtime::install_reload_signal_handler();
  auto handler = std::make_unique<StandardsHandler>(s, std::make_shared<const RuleSet>(std::move(*rules)), loader,
                                                    context.clock, &context.registry, &reload);
  handler->set_organs(std::make_shared<const organs::Registry>(std::move(*organs)));
  runtime::ServiceBundle bundle;
  handler->set_restore_reader(&bundle.make<kafka::KafkaChangelogReader>(
      context.common.kafka, context.common.loop.group_id + "-restore",
      std::chrono::milliseconds(s.restore_timeout_ms), "standards.restore"));
  if (!s.history_topic.empty() && s.penalty_history_parties > 0) {
    // Held by the component's functions, so the bundle stops and destroys it before the handler.
    auto follower = std::make_shared<HistoryFollower>(
        context.common.kafka, context.common.loop.group_id + "-history-" + context.common.loop.instance_id,
        s.history_topic, kProducerId, handler->penalty_history(), &context.registry);
    // Started before the loop and waited for (at most standards.restore_timeout_ms), so the
    // first records are judged with the history as it stood at start.
    const auto timeout = std::chrono::milliseconds(s.restore_timeout_ms);
    bundle.components.push_back({"penalty history follower", [follower, timeout, topic = s.history_topic] {
                                   if (Status st = follower->check_topic(); !st.ok()) return st;
                                   follower->start();
                                   if (!follower->wait_caught_up(timeout)) {
                                     logging::get("standards.history")
                                         ->error("penalty history: {} not read to its end within "
                                                 "standards.restore_timeout_ms; going on (counts stay lower bounds, "
                                                 "the follower keeps reading)",
                                                 topic);
                                   }
                                   return Status::success();
                                 },
                                 [follower] { follower->stop(); }, {}});
  }
  bundle.handler = std::move(handler);
  return bundle;
}

}  // namespace caselink::standards

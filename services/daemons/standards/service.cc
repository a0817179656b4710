#include "services/daemons/standards/service.h"

#include "services/lib/kafka/read_to_end.h"
#include "services/lib/runtime/stop_signal.h"
#include "services/daemons/standards/engine/loader.h"

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
  bundle.handler = std::move(handler);
  return bundle;
}

}  // namespace caselink::standards

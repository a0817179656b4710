// caselink-standards: threshold assessments of referrals and penalty records, supervision clues.
#include "services/common/runtime/service_main.h"
#include "services/standards/engine/loader.h"
#include "services/standards/handler.h"

int main(int argc, char** argv) {
  using namespace caselink;
  return runtime::service_main<standards::Settings>(
      argc, argv,
      {.name = "caselink-standards",
       .description = "assesses referrals and penalty records against versioned criminal thresholds",
       .defaults =
           [](runtime::CommonSettings& common) {
             common.loop.group_id = "caselink-standards";
             common.loop.input_topics = {"caselink.referral.v1", "caselink.admin-penalty.v1"};
           },
       .bind = [](config::ConfigBinder& binder, standards::Settings* s) { standards::bind(binder, s); },
       .make_handler = [](const runtime::ServiceContext& context, const standards::Settings& s)
           -> Result<std::unique_ptr<kafka::RecordHandler>> {
         auto rules = standards::load_rule_set(s.rules_dir);
         if (!rules.ok()) {
           return Error::invalid("standards.rules_dir: rule set " + s.rules_dir + " is invalid:\n" +
                                 rules.error().message);
         }
         auto organs = standards::load_organs(s.organs_file, *rules);
         if (!organs.ok()) {
           return organs.error();
         }
         auto loader = [dir = s.rules_dir] { return standards::load_rule_set(dir); };
         std::atomic<bool>& reload = standards::install_reload_signal_handler();
         auto handler = std::make_unique<standards::StandardsHandler>(
             s, std::make_shared<const standards::RuleSet>(std::move(*rules)), loader, context.clock,
             &context.registry, &reload);
         handler->set_organs(std::make_shared<const organs::Registry>(std::move(*organs)));
         return std::unique_ptr<kafka::RecordHandler>(std::move(handler));
       }});
}

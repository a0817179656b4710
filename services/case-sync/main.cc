// caselink-sync: folds every case event into one synchronized case state (snapshots, deadlines,
// mutual recognition, alerts), exactly once.
#include "services/case-sync/handler.h"
#include "services/common/runtime/service_main.h"

int main(int argc, char** argv) {
  using namespace caselink;
  return runtime::service_main<sync::Settings>(
      argc, argv,
      {.name = "caselink-sync",
       .description = "case-state synchronization, statutory deadlines, mutual recognition",
       .defaults =
           [](runtime::CommonSettings& common) { sync::loop_defaults(&common.loop); },
       .bind = [](config::ConfigBinder& binder, sync::Settings* s) { sync::bind(binder, s); },
       .make_handler = [](const runtime::ServiceContext& ctx, const sync::Settings& s)
           -> Result<std::unique_ptr<kafka::RecordHandler>> {
         auto rules = sync::DeadlineRules::load_directory(s.rules_directory);
         if (!rules.ok()) {
           return rules.error();
         }
         auto organs = organs::Registry::load_file(s.organs_file);
         if (!organs.ok()) {
           return Error::invalid("sync.organs_file: " + organs.error().message, "sync.organs_file");
         }
         auto owned_rules = std::make_shared<sync::DeadlineRules>(std::move(rules).value());
         owned_rules->set_organs(std::make_shared<const organs::Registry>(std::move(organs).value()));
         auto engine = std::make_shared<sync::CaseEngine>(*owned_rules, sync::engine_options(s));
         std::shared_ptr<kafka::ChangelogReader> reader = std::make_shared<kafka::KafkaChangelogReader>(
             ctx.common.kafka, ctx.common.loop.group_id + "-restore-" + ctx.common.loop.instance_id,
             std::chrono::milliseconds(s.restore_timeout_ms), "sync.restore");
         auto handler = std::make_unique<sync::SyncHandler>(*engine, s, ctx.clock, reader.get(), &ctx.registry);
         handler->set_dead_letter_context({ctx.common.loop.dlq_topic, "caselink-sync", ctx.common.loop.group_id});
         handler->keep_alive(owned_rules);
         handler->keep_alive(engine);
         handler->keep_alive(reader);
         return std::unique_ptr<kafka::RecordHandler>(std::move(handler));
       }});
}

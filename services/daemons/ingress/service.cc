#include "services/daemons/ingress/service.h"

#include <fstream>

#include "services/lib/kafka/producer.h"
#include "services/lib/runtime/metrics_observer.h"
#include "services/daemons/evidence/blob_store_factory.h"
#include "services/daemons/ingress/case_state.h"
#include "services/daemons/ingress/recovering_producer.h"
#include "services/daemons/ingress/server.h"
#include "services/daemons/standards/engine/loader.h"

namespace caselink::ingress {

namespace {

// The idempotent producer (replaced when broken beyond repair); flushed last on shut-down.
runtime::Component producer_component(RecoveringProducer& producer, const IngressSettings& settings) {
  return {"producer", [&producer] { return producer.start(); },
          [&producer, &settings] {
            const auto timeout = std::chrono::milliseconds(settings.kafka.message_timeout_ms);
            if (Status flushed = producer.flush(timeout); !flushed.ok()) {
              logging::get("ingress")->warn("{}", flushed.error().describe());
            }
          },
          // Not ready while the producer is broken beyond replacement or has no broker (issue 13 #3).
          [&producer]() -> http::ReadyState {
            ProducerHealth health = producer.health();
            return {health.ready, health.reason};
          }};
}

runtime::Component follower_component(CaseStateFollower& follower) {
  return {"case-state follower",
          [&follower] {
            follower.start();
            return Status::success();
          },
          [&follower] { follower.stop(); },
          [&follower]() -> http::ReadyState { return {follower.caught_up(), follower.status()}; }};
}

// The public API. On shut-down every POST in flight is answered within
// kafka.message_timeout_ms (202 once acknowledged, 503 otherwise) and its answer written within
// api.write_timeout_ms: wait for those answers, not for a fixed time.
runtime::Component api_component(IngressServer& server, const IngressSettings& settings, const std::string& name) {
  return {"public API",
          [&server, &settings, name]() -> Status {
            auto port = server.start();
            if (!port.ok()) {
              return port.error();
            }
            logging::get("ingress")->info("{} API on {}://{}:{}/v1/ ({} threads)", name,
                                          settings.api.tls.enabled ? "https" : "http", settings.api.bind, *port,
                                          settings.api.threads);
            if (!settings.api.port_file.empty()) {
              std::ofstream(settings.api.port_file) << *port << "\n";
            }
            return Status::success();
          },
          [&server, &settings] {
            auto log = logging::get("ingress");
            log->info("stopping: no new connections; answering the requests in flight");
            const auto bound = std::chrono::milliseconds(settings.kafka.message_timeout_ms + settings.api.write_timeout_ms);
            if (!server.drain(bound)) {
              log->warn("requests still in flight after {} ms; closing their connections", bound.count());
            }
            server.stop();
          },
          nullptr};
}

}  // namespace

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& ctx, const IngressSettings& extra) {
  runtime::ServiceBundle bundle;
  auto& settings = bundle.make<IngressSettings>(extra);
  settings.kafka = ctx.common.kafka;
  auto blobs = evidence::make_blob_store({.path = settings.blob_store_path,
                                          .public_key_file = settings.blob_public_key_file,
                                          .path_key = "blobs.path",
                                          .public_key_key = "blobs.public_key_file"});
  if (!blobs.ok()) {
    return blobs.error();  // names the setting (field): blobs.path or blobs.public_key_file
  }
  logging::get("ingress")->info("evidence store {}: {}", settings.blob_store_path,
                                evidence::describe_sealing(**blobs, "blobs.public_key_file"));
  auto& store = bundle.own(std::shared_ptr<evidence::BlobStore>(std::move(*blobs)));
  auto rules = standards::load_rule_set(settings.facts_rules_dir);
  if (!rules.ok()) {
    return Error::invalid("facts.rules_dir: " + rules.error().describe(), "facts.rules_dir");
  }
  auto& rule_set = bundle.make<standards::RuleSet>(std::move(*rules));
  auto& producer = bundle.make<RecoveringProducer>([&settings, name = ctx.name]() -> Result<std::unique_ptr<ProducerPort>> {
    auto made = kafka::make_idempotent_producer(settings.kafka, name);
    if (!made.ok()) {
      return made.error();
    }
    return wrap(std::move(*made));
  });
  auto& cases = bundle.make<CaseStateView>();
  auto& follower = bundle.make<CaseStateFollower>(settings.kafka, settings.case_state_topic, ctx.name, cases);
  auto& server = bundle.make<IngressServer>(IngressDependencies{
      settings, ctx.clock, ctx.registry,
      [&producer](const OutgoingRecord& record, kafka::DeliveryCallback done) {
        return producer.send_async(record, std::move(done));
      },
      store, cases, &rule_set.catalogue});
  bundle.components = {producer_component(producer, settings), follower_component(follower),
                       api_component(server, settings, ctx.name)};
  ctx.registry.on_collect([&producer, &follower, &metrics = ctx.service_metrics] {
    const ProducerHealth health = producer.health();
    metrics.broker_connected().set(health.broker_connected ? 1 : 0);
    metrics.ready().set(health.ready && follower.caught_up() ? 1 : 0);
    if (const auto stats = producer.statistics()) runtime::export_client_statistics(metrics, *stats);
  });
  return bundle;
}

}  // namespace caselink::ingress

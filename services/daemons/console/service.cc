#include "services/daemons/console/service.h"

#include "services/daemons/console/follower.h"
#include "services/daemons/console/routes.h"

namespace caselink::console {

namespace {

runtime::Component follower_component(Follower& follower) {
  return {"topic follower",
          [&follower] {
            follower.start();
            return Status::success();
          },
          [&follower] { follower.stop(); },
          [&follower]() -> http::ReadyState { return {follower.caught_up(), follower.status()}; }};
}

runtime::Component ops_component(OpsPoller& poller) {
  return {"ops poller",
          [&poller] {
            poller.start();
            return Status::success();
          },
          [&poller] { poller.stop(); }, nullptr};
}

OpsSettings ops_settings(const ConsoleSettings& s) {
  return {s.ops_services, std::chrono::milliseconds(s.ops_poll_interval_ms),
          std::chrono::milliseconds(s.ops_lag_interval_ms), std::chrono::milliseconds(s.ops_probe_timeout_ms), s.ops_lag};
}

}  // namespace

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& ctx, const ConsoleSettings& extra) {
  runtime::ServiceBundle bundle;
  auto& settings = bundle.make<ConsoleSettings>(extra);
  if (Status bind_ok = check_bind(ctx.common.http.bind, settings); !bind_ok.ok()) return bind_ok.error();
  auto assets = load_assets(settings.assets_dir, settings.echarts_js);
  if (!assets.ok()) return assets.error();
  auto& files = bundle.make<Assets>(std::move(*assets));
  signing::RegistryFile* keys = nullptr;
  if (!ctx.common.signing.registry_file.empty()) {
    auto opened = signing::RegistryFile::open(ctx.common.signing.registry_file,
                                              std::chrono::milliseconds(ctx.common.signing.reload_interval_ms));
    if (!opened.ok()) return Error::invalid(opened.error().message, "signing.registry_file");
    keys = &bundle.own(std::shared_ptr<signing::RegistryFile>(std::move(*opened)));
  }
  auto& model = bundle.make<ReadModel>();
  auto& follower = bundle.make<Follower>(ctx.common.kafka, ctx.name, model);
  auto& poller = bundle.make<OpsPoller>(ops_settings(settings), ctx.common.kafka, ctx.clock);
  auto& context = bundle.make<RouteContext>(RouteContext{model, &poller, ctx.clock, files, keys});
  // The pages and the API go on the admin endpoint (one GET-only port, loopback unless allowed).
  bundle.admin_routes = [&context](http::AdminHttpServer& server) { add_routes(server, context); };
  auto* cases = &ctx.registry.gauge("caselink_console_cases", "Cases the console's read model holds.").get();
  auto* records = &ctx.registry.gauge("caselink_console_records", "Records applied to the read model.").get();
  auto* dead = &ctx.registry.gauge("caselink_console_dlq_records", "Dead letters counted on the DLQ.").get();
  auto* undecodable =
      &ctx.registry.gauge("caselink_console_undecodable_records", "Case-topic records that did not decode.").get();
  ctx.registry.on_collect([cases, records, dead, undecodable, model = &model, follower = &follower,
                           ready = &ctx.service_metrics.ready()] {
    cases->set(static_cast<double>(model->case_count()));
    records->set(static_cast<double>(model->records_applied()));
    dead->set(static_cast<double>(model->dlq().total));
    undecodable->set(static_cast<double>(model->undecodable()));
    ready->set(follower->caught_up() ? 1 : 0);
  });
  bundle.components = {follower_component(follower), ops_component(poller)};
  return bundle;
}

}  // namespace caselink::console

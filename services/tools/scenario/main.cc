// caselink-scenario: plays the linkage scenario of the main job against a running stack
// (broker, topic spec, caselink-sync, -evidence, -feedback, -standards, -ingress) and prints,
// on stdout, one line per case: case id, story key, OK|FAILED, title. Progress goes to stderr.
// scripts/run.sh then shows each case with `caselinkctl case show <id>`.

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "services/lib/core/clock.h"
#include "services/tools/scenario/channels.h"
#include "services/tools/scenario/player.h"
#include "services/tools/scenario/story.h"
#include "services/tools/scenario/watcher.h"

namespace {

using namespace caselink;

struct Args {
  std::string bootstrap = "127.0.0.1:9092";
  std::string signing_keys;
  std::string blob_dir = ".local/evidence-store";
  std::string blob_key;
  std::string kafka_client_dir;
  std::string ingress = "127.0.0.1:8080";
  std::string tokens_file = "deploy/config/demo-agency-tokens.yaml";
  std::string ingress_ca;
  bool ingress_plain_http = false;
  std::string run_id;
  int step_timeout_ms = 60000;
  bool dry_run = false;
  bool sdk_only = false;
};

void add_options(CLI::App& app, Args& a) {
  app.add_option("--bootstrap", a.bootstrap, "Kafka bootstrap servers")->capture_default_str();
  app.add_option("--blob-dir", a.blob_dir, "evidence blob store used by caselink-evidence (SDK uploads)")
      ->capture_default_str();
  app.add_option("--blob-key", a.blob_key,
                 "caselink-evidence's X25519 public key (scripts/keys.sh blob): uploads are sealed to it");
  app.add_option("--signing-keys", a.signing_keys,
                 "scripts/keys.sh directory: agencies publishing through the SDK sign with <dir>/<agency>/<agency>.k1.pem");
  app.add_option("--kafka-client-dir", a.kafka_client_dir,
                 "per-party broker credentials <dir>/<party id>.properties (deploy/local/kafka.sh --secure's "
                 "clients/ directory): each SDK party connects as its own principal");
  app.add_option("--ingress", a.ingress, "caselink-ingress host:port (HTTPS)")->capture_default_str();
  app.add_option("--ingress-ca", a.ingress_ca,
                 "PEM CA the ingress's certificate must chain to (the local CA: scripts/tls.sh prints its path)");
  app.add_flag("--ingress-plain-http", a.ingress_plain_http,
               "talk plain HTTP to an ingress configured with api.tls.enabled: false (loopback tests only)");
  app.add_option("--tokens-file", a.tokens_file, "YAML map agency id -> bearer token for the ingress (demo tokens)")
      ->capture_default_str();
  app.add_option("--run-id", a.run_id, "suffix of the case ids (default: the current UTC time, so reruns never clash)");
  app.add_option("--step-timeout-ms", a.step_timeout_ms, "how long to wait for the services' answer to one step")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("--sdk-only", a.sdk_only,
               "publish the ingress agencies' events through the SDK too (no ingress needed)");
  app.add_flag("--dry-run", a.dry_run, "print the steps and case ids without connecting to anything");
}

void print_steps(const scenario::Story& story) {
  for (size_t i = 0; i < story.steps.size(); ++i) {
    const auto& s = story.steps[i];
    std::cout << i + 1 << "\t" << s.case_key << "\t" << (s.via == scenario::Via::kIngress ? "ingress" : "sdk") << "\t"
              << (s.event.event_type().empty() ? "(acknowledgements)" : s.event.event_type()) << "\t" << s.narration
              << "\n";
  }
  for (const auto& c : story.cases) std::cout << c.case_id << "\t" << c.key << "\t" << c.title << "\n";
}

// --ingress host:port and the agencies' tokens (not read with --sdk-only). 0, or exit code 2.
int ingress_options_from(const Args& a, scenario::IngressChannelOptions* out) {
  const auto colon = a.ingress.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "--ingress: expected host:port, got '" << a.ingress << "'\n";
    return 2;
  }
  out->host = a.ingress.substr(0, colon);
  out->port = a.ingress.substr(colon + 1);
  out->tls.enabled = !a.ingress_plain_http;
  out->tls.ca_file = a.ingress_ca;
  if (!a.sdk_only && out->tls.enabled && out->tls.ca_file.empty()) {
    std::cerr << "--ingress-ca: required to verify the ingress's certificate (or --ingress-plain-http)\n";
    return 2;
  }
  try {
    if (!a.sdk_only) {
      for (const auto& kv : YAML::LoadFile(a.tokens_file)) {
        out->tokens[kv.first.as<std::string>()] = kv.second.as<std::string>();
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "--tokens-file " << a.tokens_file << ": " << e.what() << "\n";
    return 2;
  }
  return 0;
}

// Plays the story; prints one line per case. 0 when every case is OK, 1 when one is not, 3 when
// the stack did not answer.
int play_story(const Args& a, const scenario::Story& story, const scenario::IngressChannelOptions& ingress_options) {
  std::cerr << "caselink-scenario: run " << a.run_id << ", " << story.cases.size() << " cases, " << story.steps.size()
            << " steps (broker " << a.bootstrap << ", ingress " << a.ingress << ")\n";
  // The connection (security included) as the services take it from the environment.
  auto connection = kafka::settings_from_environment();
  if (!connection.ok()) {
    std::cerr << "caselink-scenario: " << connection.error().describe() << "\n";
    return 2;
  }
  connection->bootstrap = a.bootstrap;
  auto watcher = scenario::CaseWatcher::start(*connection);
  if (!watcher.ok()) {
    std::cerr << "caselink-scenario: " << watcher.error().message << "\n";
    return 3;
  }
  auto sdk = scenario::make_sdk_channel({a.bootstrap, a.blob_dir, a.signing_keys, a.blob_key, a.kafka_client_dir});
  auto http = scenario::make_ingress_channel(ingress_options);
  scenario::PlayOptions options;
  options.step_timeout = std::chrono::milliseconds(a.step_timeout_ms);
  options.progress = &std::cerr;
  auto outcomes = scenario::play(story, *sdk, a.sdk_only ? *sdk : *http, *watcher.value(), options);
  if (!outcomes.ok()) {
    std::cerr << "caselink-scenario: FAILED at " << outcomes.error().message << "\n";
    return 3;
  }
  bool all_ok = true;
  for (const auto& o : outcomes.value()) {
    std::cout << o.case_id << "\t" << o.key << "\t" << (o.ok ? "OK" : "FAILED") << "\t" << o.title << "\n";
    for (const auto& p : o.problems) std::cerr << "  " << o.case_id << ": " << p << "\n";
    all_ok = all_ok && o.ok;
  }
  return all_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace caselink;
  CLI::App app{"caselink-scenario — plays the administrative–criminal linkage scenario against a running stack"};
  Args args;
  add_options(app, args);
  CLI11_PARSE(app, argc, argv);

  const TimePoint now = SystemClock().now();
  if (args.run_id.empty()) args.run_id = scenario::run_id_from(now);
  const scenario::Story story = scenario::build_story(args.run_id, now);
  if (args.dry_run) {
    print_steps(story);
    return 0;
  }
  scenario::IngressChannelOptions ingress_options;
  if (int code = ingress_options_from(args, &ingress_options); code != 0) return code;
  return play_story(args, story, ingress_options);
}

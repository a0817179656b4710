#include "services/tools/ctl/conformance_cli.h"

#include <cstdlib>
#include <optional>

#include "services/lib/core/uuid.h"
#include "services/lib/signing/key_registry.h"
#include "services/tools/ctl/commands.h"
#include "services/tools/ctl/conformance.h"
#include "services/tools/ctl/conformance_run.h"
#include "services/daemons/standards/engine/loader.h"

namespace caselink::ctl {

struct ConformanceCli::State {
  CLI::App* command = nullptr;
  conformance::RunOptions run;
  std::string kind = "agency";
  std::string time_bound = "3m";
  std::string ack_deadline = "2m";
  std::string rules_dir = "rules";
  std::string key_registry;
  std::vector<std::string> expect;
  bool json = false;
};

ConformanceCli::ConformanceCli(CLI::App& app) : s_(std::make_unique<State>()) {
  auto* c = app.add_subcommand(
      "conformance",
      "run a scripted case through an agency's adapter on sandbox topics and check every event it sends "
      "(envelope, key, CloudEvents headers, role, facts, signatures, retries, feedback acknowledgement)");
  s_->command = c;
  auto& run = s_->run;
  c->add_option("--agency", run.profile.agency_id, "the adapter's party id, e.g. sthjj-330100")->required();
  c->add_option("--kind", s_->kind, "its party kind: agency, police, procuratorate or court")
      ->capture_default_str()
      ->check(CLI::IsMember({"agency", "police", "procuratorate", "court"}));
  c->add_option("--case-id", run.profile.case_id, "the scripted case's id (default: <agency>-conformance-<random>)");
  c->add_option("--adapter-cmd", run.adapter_cmds,
                "the adapter under test, run by /bin/sh (repeatable; placeholders {bootstrap} {agency} {case_id} "
                "{topic_prefix}); none: watch an adapter run elsewhere for the printed case id");
  c->add_option("--topic-prefix", run.profile.topic_prefix,
                "sandbox topics: this prefix + the production name (the adapter must use the same)");
  c->add_option("--time-bound", s_->time_bound, "how long the run may take (e.g. 90s, 3m)")->capture_default_str();
  c->add_option("--ack-deadline", s_->ack_deadline, "how soon feedback must be acknowledged (e.g. 2m)")
      ->capture_default_str();
  c->add_option("--expect", s_->expect,
                "payload types the adapter must send, e.g. CaseReferral (repeatable; default CaseReferral for an "
                "agency, nothing otherwise; 'none' for nothing)");
  c->add_option("--police-organ", run.police_organ, "the police organ playing the filing decision when the "
                                                    "referral names none")
      ->capture_default_str();
  c->add_option("--rules-dir", s_->rules_dir, "rule directory whose catalogue/facts.yaml facts are checked against")
      ->capture_default_str();
  c->add_option("--key-registry", s_->key_registry, "key registry YAML: check every event's signature")
      ->envname("CASELINK_SIGNING_REGISTRY_FILE");
  c->add_flag("--json", s_->json, "print the report as one JSON object");
}

ConformanceCli::~ConformanceCli() = default;

CLI::App* ConformanceCli::command() const { return s_->command; }
bool ConformanceCli::parsed() const { return s_->command->parsed(); }

int ConformanceCli::run(const OpsOptions& options, std::ostream& out, std::ostream& err) {
  auto& run = s_->run;
  auto bound = conformance::parse_duration(s_->time_bound);
  auto deadline = conformance::parse_duration(s_->ack_deadline);
  if (!bound.ok() || !deadline.ok()) {
    err << "caselinkctl conformance: " << (!bound.ok() ? bound.error().message : deadline.error().message) << "\n";
    return kUsage;
  }
  run.time_bound = *bound;
  run.profile.ack_deadline = *deadline;
  run.profile.kind = *authz::parse_party_kind(s_->kind);
  if (run.profile.case_id.empty()) run.profile.case_id = run.profile.agency_id + "-conformance-" + new_uuid().substr(0, 8);
  if (s_->expect.empty() && run.profile.kind == authz::PartyKind::kAgency) s_->expect = {"CaseReferral"};
  for (const std::string& type : s_->expect) {
    if (type != "none") run.profile.expected_types.push_back(type);
  }
  auto rules = standards::load_rule_set(s_->rules_dir);
  if (!rules.ok()) {
    err << "caselinkctl conformance: --rules-dir " << s_->rules_dir << ": " << rules.error().describe() << "\n";
    return kUsage;
  }
  run.profile.catalogue = &rules->catalogue;
  std::optional<signing::KeyRegistry> keys;
  if (!s_->key_registry.empty()) {
    auto loaded = signing::KeyRegistry::load(s_->key_registry);
    if (!loaded.ok()) {
      err << "caselinkctl conformance: --key-registry: " << loaded.error().describe() << "\n";
      return kUsage;
    }
    keys = std::move(*loaded);
    run.profile.keys = &*keys;
  }
  err << "conformance: case " << run.profile.case_id << ", agency " << run.profile.agency_id << "\n";
  auto result = conformance::run(options.kafka, run, err);
  if (!result.ok()) {
    err << "caselinkctl conformance: " << result.error().describe() << "\n";
    return kBrokerError;
  }
  for (const std::string& note : result->notes) err << "conformance: " << note << "\n";
  const auto report = conformance::evaluate(run.profile, result->seen, result->sent);
  if (s_->json) {
    conformance::print_json(report, out);
  } else {
    conformance::print_text(report, out);
  }
  return report.passed() ? kOk : kNonConformant;
}

}  // namespace caselink::ctl

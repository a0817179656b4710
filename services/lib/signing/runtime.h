#pragma once

// Signing and verification as a process-wide policy, set once at start-up from the
// `signing.*` settings, so the two places every event passes — envelope::to_record (what a
// service emits) and kafka::decode_record (what it consumes) — apply it without each
// handler carrying keys:
//
//   signing.verify          off | required (default off). required: decode_record refuses an
//                           envelope whose signature is missing, unknown, revoked or wrong
//                           (DLQ reason envelope.signature; caselink_signature_failures_total)
//   signing.registry_file   the key registry (key_registry.h), re-read when it changes
//   signing.key_dir         private keys, one `<key_id>.pem` per key: an unsigned envelope whose
//                           producer has a usable key here is signed when it is emitted
//   signing.custodian       when set, those signatures are custodial in this custodian's name
//                           (the ingress signs for token-authenticated agencies)
//
// Until install() is called (unit tests, tools) nothing is signed or verified.

#include <memory>
#include <string>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/config/config.h"
#include "services/lib/core/result.h"
#include "services/lib/metrics/registry.h"
#include "services/lib/signing/key_registry.h"

namespace caselink::signing {

// DLQ reason (dlq.error.class) of an envelope refused by the signature check; the message
// (dlq.error.message) names the failure reason ("invalid: signature: revoked: key ... was revoked at ...").
inline constexpr const char* kSignatureReason = "envelope.signature";

// The counter of refusals, one child per verify() reason (envelope_signature.h).
inline constexpr const char* kFailuresMetric = "caselink_signature_failures_total";
inline constexpr const char* kFailuresHelp = "Consumed envelopes refused by the signature check, by reason.";

struct Settings {
  std::string verify = "off";
  std::string registry_file;
  std::string key_dir;
  std::string custodian;
  int64_t reload_interval_ms = 1000;
};

void bind(config::ConfigBinder& binder, Settings* settings);

class Runtime {
 public:
  // Opens the registry and reads the private keys. `metrics` may be null (tools, tests).
  static Result<std::shared_ptr<Runtime>> create(const Settings& settings, metrics::Registry* metrics);

  // Signs `envelope` when it is unsigned and a usable key of its producer is held.
  void sign(caselink::v1::Envelope& envelope);
  // Success, or Error::invalid with reason kSignatureReason when verification is required
  // and fails. Counts every failure.
  Status verify(const caselink::v1::Envelope& envelope);

  bool verify_required() const { return required_; }
  RegistryFile& registry() { return *registry_; }

 private:
  struct Impl;
  explicit Runtime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<RegistryFile> registry_;
  bool required_ = false;

 public:
  ~Runtime();
};

// The process-wide runtime (null: nothing is signed or verified). install(nullptr) removes it.
void install(std::shared_ptr<Runtime> runtime);
std::shared_ptr<Runtime> installed();

// What envelope::to_record and kafka::decode_record call.
void sign_if_installed(caselink::v1::Envelope& envelope);
Status verify_if_installed(const caselink::v1::Envelope& envelope);

// Installs `runtime` for the life of the guard, then restores the previous one (tests).
class ScopedInstall {
 public:
  explicit ScopedInstall(std::shared_ptr<Runtime> runtime);
  ~ScopedInstall();
  ScopedInstall(const ScopedInstall&) = delete;
  ScopedInstall& operator=(const ScopedInstall&) = delete;

 private:
  std::shared_ptr<Runtime> previous_;
};

}  // namespace caselink::signing

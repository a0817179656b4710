#include "services/lib/signing/runtime.h"

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "services/lib/signing/envelope_signature.h"

namespace caselink::signing {
namespace {

std::shared_ptr<Runtime>& slot() {
  static std::shared_ptr<Runtime> runtime;
  return runtime;
}
std::mutex& slot_mutex() {
  static std::mutex mutex;
  return mutex;
}

// Every `<key_id>.pem` in `dir`; a file that is not an Ed25519 key fails start-up.
Result<std::map<std::string, PrivateKey>> read_private_keys(const std::string& dir) {
  std::map<std::string, PrivateKey> keys;
  if (dir.empty()) {
    return keys;
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".pem") {
      continue;
    }
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    auto key = PrivateKey::from_pem(text.str(), entry.path().string());
    if (!key.ok()) {
      return Error::invalid("signing.key_dir: " + key.error().message);
    }
    keys.emplace(entry.path().stem().string(), std::move(*key));
  }
  if (ec) {
    return Error::invalid("signing.key_dir: cannot list '" + dir + "': " + ec.message());
  }
  return keys;
}

TimePoint signing_time(const caselink::v1::Envelope& envelope) {
  const auto& at = envelope.recorded_at();
  if (at.seconds() == 0 && at.nanos() == 0) {
    return std::chrono::system_clock::now();
  }
  return TimePoint(std::chrono::seconds(at.seconds())) + std::chrono::nanoseconds(at.nanos());
}

}  // namespace

struct Runtime::Impl {
  std::map<std::string, PrivateKey> keys;
  std::string custodian;
  metrics::CounterFamily* failures = nullptr;
};

void bind(config::ConfigBinder& binder, Settings* s) {
  binder.bind("signing.verify", &s->verify,
              "off | required: refuse (DLQ envelope.signature) consumed envelopes without a valid signature");
  binder.bind("signing.registry_file", &s->registry_file,
              "Key registry YAML (public keys per party, validity, revocation); re-read when it changes");
  binder.bind("signing.key_dir", &s->key_dir,
              "Directory of private keys <key_id>.pem; emitted envelopes of a producer with a key here are signed");
  binder.bind("signing.custodian", &s->custodian,
              "When set, signatures made here are custodial in this id's name (the ingress)");
  binder.bind("signing.reload_interval_ms", &s->reload_interval_ms, "How often the registry file's mtime is polled");
  binder.check([s]() -> Status {
    if (s->verify != "off" && s->verify != "required") {
      return Error::invalid("signing.verify: must be 'off' or 'required', got '" + s->verify + "'",
                            "signing.verify");
    }
    if ((s->verify == "required" || !s->key_dir.empty()) && s->registry_file.empty()) {
      return Error::invalid("signing.registry_file: required when signing.verify is 'required' or "
                            "signing.key_dir is set", "signing.registry_file");
    }
    if (s->reload_interval_ms < 1) {
      return Error::invalid("signing.reload_interval_ms: must be >= 1", "signing.reload_interval_ms");
    }
    return Status::success();
  });
}

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Runtime::~Runtime() = default;

Result<std::shared_ptr<Runtime>> Runtime::create(const Settings& settings, metrics::Registry* metrics) {
  if (settings.verify == "required" && settings.registry_file.empty()) {
    return Error::invalid("signing.registry_file: required when signing.verify is 'required'",
                          "signing.registry_file");
  }
  auto impl = std::make_unique<Impl>();
  auto keys = read_private_keys(settings.key_dir);
  if (!keys.ok()) {
    return keys.error();
  }
  impl->keys = std::move(*keys);
  impl->custodian = settings.custodian;
  if (metrics != nullptr) {
    impl->failures = &metrics->counter(kFailuresMetric, kFailuresHelp, {"reason"});
  }
  std::shared_ptr<Runtime> runtime(new Runtime(std::move(impl)));
  runtime->required_ = settings.verify == "required";
  if (!settings.registry_file.empty()) {
    auto file = RegistryFile::open(settings.registry_file,
                                   std::chrono::milliseconds(std::max<int64_t>(1, settings.reload_interval_ms)));
    if (!file.ok()) {
      return Error::invalid("signing.registry_file: " + file.error().message);
    }
    runtime->registry_ = std::move(*file);
  }
  return runtime;
}

void Runtime::sign(caselink::v1::Envelope& envelope) {
  if (!envelope.signature().empty() || impl_->keys.empty() || !registry_) {
    return;
  }
  const auto registry = registry_->current();
  for (const KeyEntry* key : registry->usable_keys(envelope.producer_agency_id(), signing_time(envelope))) {
    auto held = impl_->keys.find(key->key_id);
    if (held != impl_->keys.end()) {
      signing::sign(envelope, held->second, key->key_id, impl_->custodian);
      return;
    }
  }
}

Status Runtime::verify(const caselink::v1::Envelope& envelope) {
  if (!required_) {
    return Status::success();
  }
  auto failure = signing::verify(envelope, *registry_->current());
  if (!failure) {
    return Status::success();
  }
  if (impl_->failures != nullptr) {
    impl_->failures->labels({failure->reason}).inc();
  }
  return Error::invalid(std::string(failure->reason) + ": " + failure->detail, "signature", kSignatureReason);
}

void install(std::shared_ptr<Runtime> runtime) {
  std::lock_guard lock(slot_mutex());
  slot() = std::move(runtime);
}

std::shared_ptr<Runtime> installed() {
  std::lock_guard lock(slot_mutex());
  return slot();
}

void sign_if_installed(caselink::v1::Envelope& envelope) {
  if (auto runtime = installed()) {
    runtime->sign(envelope);
  }
}

Status verify_if_installed(const caselink::v1::Envelope& envelope) {
  auto runtime = installed();
  return runtime ? runtime->verify(envelope) : Status::success();
}

ScopedInstall::ScopedInstall(std::shared_ptr<Runtime> runtime) : previous_(installed()) { install(std::move(runtime)); }
ScopedInstall::~ScopedInstall() { install(std::move(previous_)); }

}  // namespace caselink::signing

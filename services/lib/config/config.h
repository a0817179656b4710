#pragma once

// Typed configuration from a YAML file plus environment overrides, validated at start.
//
// A service declares its settings as a struct with in-class defaults and binds each field to
// a dotted key. `finish()` then reads the file and the environment and fails, naming the key,
// on an unknown key, a wrong type or a missing required value. Nothing is read lazily: a
// service that started has a complete, checked config.
//
//   struct Settings { std::string bootstrap = "127.0.0.1:9092"; int64_t commit_every = 500; };
//   Settings s;
//   auto binder = ConfigBinder::load(path);          // Result<ConfigBinder>
//   binder->bind("kafka.bootstrap", &s.bootstrap, "broker list host:port,...");
//   binder->bind("loop.commit_every_records", &s.commit_every, "records per transaction");
//   Status st = binder->finish();
//
// Environment override of key `kafka.bootstrap` with prefix CASELINK_: CASELINK_KAFKA_BOOTSTRAP.
// Lists are comma-separated in the environment; maps are `k=v,k=v`.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "services/lib/core/result.h"

namespace caselink::config {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Reads the real process environment.
EnvLookup process_environment();

enum class Need { kOptional, kRequired };
enum class Secrecy { kPlain, kSecret };

// True for an entry of a free-form map (kafka.properties …) whose value is a secret
// (a key naming a password, secret, private key, JAAS or OAUTHBEARER config, or a token).
bool is_secret_entry(const std::string& key);

class ConfigBinder {
 public:
  // Loads a YAML file. An empty path means "no file": defaults and environment only.
  static Result<ConfigBinder> load(const std::string& path, std::string env_prefix = "CASELINK_",
                                   EnvLookup env = process_environment());
  // Same from text (tests, embedded defaults); `origin` names it in error messages.
  static Result<ConfigBinder> parse(const std::string& yaml_text, const std::string& origin,
                                    std::string env_prefix = "CASELINK_", EnvLookup env = process_environment());

  void bind(const std::string& key, std::string* out, std::string help, Need need = Need::kOptional,
            Secrecy secrecy = Secrecy::kPlain);
  void bind(const std::string& key, int64_t* out, std::string help, Need need = Need::kOptional);
  void bind(const std::string& key, int* out, std::string help, Need need = Need::kOptional);
  void bind(const std::string& key, bool* out, std::string help, Need need = Need::kOptional);
  void bind(const std::string& key, double* out, std::string help, Need need = Need::kOptional);
  void bind(const std::string& key, std::vector<std::string>* out, std::string help,
            Need need = Need::kOptional);
  // A free-form string map under `key` (e.g. extra librdkafka properties). Its sub-keys are
  // not checked here; the owner validates them.
  void bind(const std::string& key, std::map<std::string, std::string>* out, std::string help,
            Need need = Need::kOptional);

  // Adds a check run by finish() after every value is read (e.g. a range or a cross-field
  // rule). Return an error naming the key.
  void check(std::function<Status()> rule);

  // Reads every bound key, applies environment overrides, runs the checks. Reports all
  // problems at once, one per line, each naming its key.
  Status finish();

  // Human-readable table of every bound key: type, required, env variable, help, value
  // (secrets masked). For `--print-config` and docs.
  std::string describe() const;

  const std::string& origin() const { return origin_; }

 private:
  struct Binding {
    std::string key;
    std::string type_name;
    std::string help;
    Need need = Need::kOptional;
    Secrecy secrecy = Secrecy::kPlain;
    bool is_map = false;
    // Reads from YAML node; returns an error message or empty.
    std::function<std::string(const YAML::Node&)> from_yaml;
    // Reads from an environment string; returns an error message or empty.
    std::function<std::string(const std::string&)> from_env;
    std::function<std::string()> show;
  };

  ConfigBinder(YAML::Node root, std::string origin, std::string env_prefix, EnvLookup env);
  void add(Binding binding);
  std::string env_name(const std::string& key) const;
  void collect_unknown(const YAML::Node& node, const std::string& path, std::vector<std::string>* errors) const;

  YAML::Node root_;
  std::string origin_;
  std::string env_prefix_;
  EnvLookup env_;
  std::vector<Binding> bindings_;
  std::vector<std::function<Status()>> checks_;
};

}  // namespace caselink::config

#include "services/lib/signing/key_registry.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace caselink::signing {
namespace {

Error bad(const std::string& where, const std::string& message) { return Error::invalid(where + ": " + message); }

Result<std::optional<TimePoint>> optional_time(const YAML::Node& entry, const char* key, const std::string& where) {
  const YAML::Node node = entry[key];
  if (!node) {
    return std::optional<TimePoint>{};
  }
  TimePoint t;
  if (!node.IsScalar() || !parse_rfc3339(node.Scalar(), &t)) {
    return bad(where + "." + key, "expected an RFC 3339 time such as 2026-06-01T00:00:00Z");
  }
  return std::optional<TimePoint>{t};
}

Result<std::string> required_text(const YAML::Node& entry, const char* key, const std::string& where) {
  const YAML::Node node = entry[key];
  if (!node || !node.IsScalar() || node.Scalar().empty()) {
    return bad(where + "." + key, "required (a non-empty string)");
  }
  return node.Scalar();
}

Result<KeyEntry> parse_entry(const YAML::Node& entry, const std::string& where) {
  static const std::set<std::string> kKnown{"key_id", "party", "public_key", "valid_from", "valid_until",
                                            "revoked_at"};
  if (!entry.IsMap()) {
    return bad(where, "expected a map with key_id, party, public_key");
  }
  for (const auto& kv : entry) {
    // A complex key (`? [a]: b`) is no scalar: as<std::string>() would throw (found by fuzz_signature).
    if (!kv.first.IsScalar()) {
      return bad(where, "every key must be a plain name");
    }
    if (!kKnown.contains(kv.first.Scalar())) {
      return bad(where + "." + kv.first.Scalar(), "unknown key");
    }
  }
  KeyEntry key;
  auto id = required_text(entry, "key_id", where);
  auto party = required_text(entry, "party", where);
  auto hex = required_text(entry, "public_key", where);
  if (!id.ok() || !party.ok() || !hex.ok()) {
    return !id.ok() ? id.error() : !party.ok() ? party.error() : hex.error();
  }
  auto pub = public_key_from_hex(*hex);
  if (!pub.ok()) {
    return bad(where + ".public_key", pub.error().message);
  }
  auto from = optional_time(entry, "valid_from", where);
  auto until = optional_time(entry, "valid_until", where);
  auto revoked = optional_time(entry, "revoked_at", where);
  if (!from.ok() || !until.ok() || !revoked.ok()) {
    return !from.ok() ? from.error() : !until.ok() ? until.error() : revoked.error();
  }
  key.key_id = *id;
  key.party = *party;
  key.public_key = *pub;
  key.valid_from = *from;
  key.valid_until = *until;
  key.revoked_at = *revoked;
  return key;
}

}  // namespace

bool KeyEntry::usable_at(TimePoint t) const {
  return (!valid_from || t >= *valid_from) && (!valid_until || t < *valid_until) && (!revoked_at || t < *revoked_at);
}

Result<KeyRegistry> KeyRegistry::parse(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return bad(origin, std::string("not valid YAML: ") + e.what());
  }
  if (!root.IsMap() || !root["keys"] || !root["keys"].IsSequence() || root.size() != 1) {
    return bad(origin, "expected a map with one key, `keys`, holding a list of keys");
  }
  KeyRegistry registry;
  const YAML::Node keys = root["keys"];
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string where = origin + ": keys[" + std::to_string(i) + "]";
    auto entry = parse_entry(keys[i], where);
    if (!entry.ok()) {
      return entry.error();
    }
    const std::string id = entry->key_id;
    if (!registry.keys_.emplace(id, std::move(*entry)).second) {
      return bad(where + ".key_id", "'" + id + "' listed twice");
    }
  }
  return registry;
}

Result<KeyRegistry> KeyRegistry::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Error::invalid(path + ": cannot read the key registry file");
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

const KeyEntry* KeyRegistry::find(const std::string& key_id) const {
  auto it = keys_.find(key_id);
  return it == keys_.end() ? nullptr : &it->second;
}

std::vector<const KeyEntry*> KeyRegistry::usable_keys(const std::string& party, TimePoint t) const {
  std::vector<const KeyEntry*> out;
  for (const auto& [id, key] : keys_) {
    if (key.party == party && key.usable_at(t)) {
      out.push_back(&key);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const KeyEntry* a, const KeyEntry* b) {
    return a->valid_from.value_or(TimePoint::min()) > b->valid_from.value_or(TimePoint::min());
  });
  return out;
}

RegistryFile::RegistryFile(std::string path, std::chrono::milliseconds poll_interval)
    : path_(std::move(path)), poll_interval_(poll_interval) {}

Result<std::unique_ptr<RegistryFile>> RegistryFile::open(std::string path, std::chrono::milliseconds poll_interval) {
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path, ec);
  auto registry = KeyRegistry::load(path);
  if (!registry.ok()) {
    return registry.error();
  }
  std::unique_ptr<RegistryFile> file(new RegistryFile(std::move(path), poll_interval));
  file->registry_ = std::make_shared<const KeyRegistry>(std::move(*registry));
  file->mtime_ = mtime;
  file->next_check_ = std::chrono::steady_clock::now() + poll_interval;
  return file;
}

std::shared_ptr<const KeyRegistry> RegistryFile::current() {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (now < next_check_) {
    return registry_;
  }
  next_check_ = now + poll_interval_;
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path_, ec);
  if (ec || mtime == mtime_) {
    return registry_;
  }
  auto reloaded = KeyRegistry::load(path_);
  if (!reloaded.ok()) {
    last_error_ = reloaded.error().message;  // keep the registry in force; retried on the next poll
    return registry_;
  }
  mtime_ = mtime;
  last_error_.clear();
  registry_ = std::make_shared<const KeyRegistry>(std::move(*reloaded));
  return registry_;
}

std::string RegistryFile::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

}  // namespace caselink::signing

// The key registry file: what it accepts and refuses (naming the key), and reloading on change.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "services/lib/signing/key_registry.h"
#include "services/lib/signing/runtime.h"
#include "services/lib/signing/tests/test_keys.h"

namespace caselink::signing {
namespace {

const std::string kPub = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

TEST(KeyRegistry, ParsesKeysWithTimes) {
  auto r = KeyRegistry::parse("keys:\n  - key_id: a-1\n    party: a\n    public_key: " + kPub +
                                  "\n    valid_from: 2026-01-01T00:00:00Z\n    revoked_at: 2026-06-01T00:00:00Z\n",
                              "reg");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const KeyEntry* k = r->find("a-1");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->party, "a");
  TimePoint t;
  ASSERT_TRUE(parse_rfc3339("2026-03-01T00:00:00Z", &t));
  EXPECT_TRUE(k->usable_at(t));
  ASSERT_TRUE(parse_rfc3339("2026-06-01T00:00:00Z", &t));
  EXPECT_FALSE(k->usable_at(t));
  EXPECT_EQ(r->usable_keys("a", t).size(), 0U);
}

TEST(KeyRegistry, RefusalsNameTheEntryAndKey) {
  const std::vector<std::pair<std::string, std::string>> rows{
      {"keys: [1]", "keys[0]"},
      {"keys:\n  - key_id: a\n    party: a\n", "keys[0].public_key"},
      {"keys:\n  - key_id: a\n    party: a\n    public_key: abc\n", "keys[0].public_key"},
      {"keys:\n  - key_id: a\n    party: a\n    public_key: " + kPub + "\n    revoked_at: soon\n", "revoked_at"},
      {"keys:\n  - key_id: a\n    party: a\n    public_key: " + kPub + "\n    colour: red\n", "keys[0].colour"},
      {"keys:\n  - {key_id: a, party: a, public_key: " + kPub + "}\n  - {key_id: a, party: b, public_key: " + kPub +
           "}\n",
       "keys[1].key_id"},
      {"other: 1", "expected a map with one key"},
      {"keys: [", "not valid YAML"},
  };
  for (const auto& [text, expected] : rows) {
    auto r = KeyRegistry::parse(text, "reg");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.error().message.find(expected), std::string::npos) << r.error().message;
  }
}

TEST(RegistryFile, ReloadsWhenTheFileChangesAndKeepsTheOldOneOnABadEdit) {
  const auto dir = std::filesystem::temp_directory_path() / ("caselink-registry-" + std::to_string(::getpid()));
  const std::string path = testing::write_keys(dir, {{"a-1", "a", ""}});
  auto file = RegistryFile::open(path, std::chrono::milliseconds(0));  // check on every call
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_NE((*file)->current()->find("a-1"), nullptr);

  const auto bump = [&path](const std::string& text) {
    const auto before = std::filesystem::last_write_time(path);
    std::ofstream(path) << text;
    std::filesystem::last_write_time(path, before + std::chrono::seconds(1));  // a visible mtime change
  };
  bump("keys:\n  - key_id: b-1\n    party: b\n    public_key: " + kPub + "\n");
  auto now = (*file)->current();
  EXPECT_EQ(now->find("a-1"), nullptr);
  EXPECT_NE(now->find("b-1"), nullptr);

  bump("keys: [");
  EXPECT_NE((*file)->current()->find("b-1"), nullptr) << "a bad edit keeps the registry in force";
  EXPECT_NE((*file)->last_error().find("not valid YAML"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Runtime, RefusesSettingsThatCannotWork) {
  Settings required;
  required.verify = "required";
  auto no_registry = Runtime::create(required, nullptr);
  ASSERT_FALSE(no_registry.ok());
  EXPECT_EQ(no_registry.error().field, "signing.registry_file");

  required.registry_file = "/nonexistent/registry.yaml";
  auto unreadable = Runtime::create(required, nullptr);
  ASSERT_FALSE(unreadable.ok());
  EXPECT_NE(unreadable.error().message.find("signing.registry_file"), std::string::npos);

  auto binder = config::ConfigBinder::parse("signing:\n  verify: sometimes\n", "test");
  ASSERT_TRUE(binder.ok());
  Settings bound;
  bind(*binder, &bound);
  Status checked = binder->finish();
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("signing.verify"), std::string::npos) << checked.error().message;
}

}  // namespace
}  // namespace caselink::signing

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "services/tools/topics/topic_admin.h"
#include "services/lib/kafka/properties_file.h"

namespace caselink::topics {
namespace {

std::string write_temp(const std::string& text) {
  std::string path = ::testing::TempDir() + "client-" + std::to_string(std::rand()) + ".properties";
  std::ofstream(path) << text;
  return path;
}

TEST(ClientProperties, ReadsKafkaShFormat) {
  const auto p = kafka::read_properties_file(write_temp(
      "# comment\n\nsecurity.protocol=SASL_SSL\nsasl.mechanisms = SCRAM-SHA-512\nsasl.password=s3cr=t\n"));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p.value().at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(p.value().at("sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ(p.value().at("sasl.password"), "s3cr=t");
}

TEST(ClientProperties, ErrorsNameTheLineNeverTheValue) {
  const auto dup = kafka::read_properties_file(write_temp("sasl.password=hunter2\nsasl.password=hunter3\n"));
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find(":2: 'sasl.password' set twice"), std::string::npos);
  EXPECT_EQ(dup.error().message.find("hunter"), std::string::npos);
  const auto bad = kafka::read_properties_file(write_temp("hunter2\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.find("hunter"), std::string::npos);
  EXPECT_FALSE(kafka::read_properties_file("/nonexistent/x.properties").ok());
}

// A setting librdkafka refuses is named by key; its value (maybe a password) never appears.
TEST(ClientProperties, RefusedSettingIsNamedByKeyOnly) {
  KafkaAdminConfig config;
  config.properties = {{"security.protocol", "not-a-protocol-hunter2"}};
  const auto cluster = make_kafka_acl_cluster(config);
  ASSERT_FALSE(cluster.ok());
  EXPECT_NE(cluster.error().message.find("'security.protocol'"), std::string::npos) << cluster.error().message;
  EXPECT_EQ(cluster.error().message.find("hunter2"), std::string::npos) << cluster.error().message;
}

}  // namespace
}  // namespace caselink::topics

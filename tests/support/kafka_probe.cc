// caselink-kafka-probe: connects to the broker with a client made by the client factory, the
// connection (security included) from the environment as every service takes it
// (CASELINK_KAFKA_BOOTSTRAP, CASELINK_KAFKA_SECURITY_PROTOCOL, CASELINK_KAFKA_SASL_*,
// CASELINK_KAFKA_SSL_*), and asks for the cluster metadata. Exit 0 and "connected" when the
// broker answered; 1 and the client's last error (e.g. "Authentication failed") when not; 2 for
// a configuration the settings refuse. Never prints a setting's value. Used by
// tests/integration/secure_broker.sh (it_secure_broker).

#include <librdkafka/rdkafka.h>

#include <iostream>
#include <mutex>
#include <string>

#include "services/lib/kafka/factory.h"

namespace {

std::mutex mu;
std::string last_error;

void on_error(rd_kafka_t*, int err, const char* reason, void*) {
  std::lock_guard lock(mu);
  last_error = std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))) + ": " + reason;
}

}  // namespace

int main() {
  using namespace caselink;
  auto settings = kafka::settings_from_environment();
  if (!settings.ok()) {
    std::cerr << "caselink-kafka-probe: " << settings.error().describe() << "\n";
    return 2;
  }
  auto admin = kafka::make_admin(*settings, {{"client.id", "caselink-kafka-probe"}, {"log_level", "0"}},
                                 {nullptr, nullptr, &on_error});
  if (!admin.ok()) {
    std::cerr << "caselink-kafka-probe: " << admin.error().describe() << "\n";
    return 2;
  }
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(admin->get(), 1, nullptr, &md, 15000);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md != nullptr) {
    std::cout << "connected: " << md->broker_cnt << " broker(s), " << md->topic_cnt << " topic(s)\n";
    rd_kafka_metadata_destroy(md);
    return 0;
  }
  // Error callbacks are served by poll(): collect what the failed attempts reported.
  rd_kafka_poll(admin->get(), 1000);
  std::lock_guard lock(mu);
  std::cout << "not connected: " << rd_kafka_err2name(err) << (last_error.empty() ? "" : "; " + last_error) << "\n";
  return 1;
}

#pragma once
// Settings every ops command of caselinkctl shares (topics, lag, tail, dlq, audit).

#include <chrono>

#include "services/lib/kafka/settings.h"

namespace caselink::ctl {

struct OpsOptions {
  // Bootstrap and extra librdkafka properties (--client-config: TLS/SASL), as the services'
  // kafka.bootstrap and kafka.properties.
  kafka::KafkaSettings kafka;
  std::chrono::milliseconds timeout{30000};  // each broker call
  bool json = false;                         // JSON instead of tables
};

}  // namespace caselink::ctl

#pragma once
// librdkafka's built-in mock cluster for unit tests: made by the client factory
// (services/lib/kafka/factory.h), like every other librdkafka client.

#include "services/lib/kafka/factory.h"

namespace caselink::testing {

using MockCluster = kafka::MockCluster;

}  // namespace caselink::testing

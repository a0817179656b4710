#pragma once

// Internal to the SDK: the client factory's settings for a ClientOptions, shared by the
// publishing client and the feedback reader so both connect the same way.

#include "services/lib/core/result.h"
#include "services/lib/kafka/settings.h"
#include "services/lib/sdk/agency_client.h"

namespace caselink::sdk {

// bootstrap, kafka_overrides and kafka_config_file as the factory takes them; an error names the
// ClientOptions field (kafka_config_file).
Result<kafka::KafkaSettings> client_settings(const ClientOptions& options);

}  // namespace caselink::sdk

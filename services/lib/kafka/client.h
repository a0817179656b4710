#pragma once

// librdkafka object creation in one place: configuration objects for each role, and the
// conversion of our plain records to librdkafka messages and back.

#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <string>

#include "services/lib/core/record.h"
#include "services/lib/core/result.h"
#include "services/lib/kafka/settings.h"

namespace caselink::kafka {

// Builds a global configuration: caselink's overridable defaults (factory.h client_properties),
// user properties from settings, the broker list and the
// connection security, then `role` properties (which win). Returns an error naming the key of
// the property librdkafka refused. Clients are made by factory.h, which uses this.
Result<std::unique_ptr<RdKafka::Conf>> make_conf(const KafkaSettings& settings,
                                                 const std::map<std::string, std::string>& role);

// Copies a consumed librdkafka message into a plain record.
ConsumedRecord to_consumed_record(RdKafka::Message& message);

// Produces `record` on `producer` (partitioned by key). On success librdkafka owns the
// headers. Returns the librdkafka error code of produce().
RdKafka::ErrorCode produce(RdKafka::Producer& producer, const OutgoingRecord& record, void* opaque = nullptr);

}  // namespace caselink::kafka

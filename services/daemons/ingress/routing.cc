#include "services/daemons/ingress/routing.h"

#include <array>

#include "services/lib/envelope/routing.h"

namespace caselink::ingress {

bool is_service_only(std::string_view event_type) {
  static constexpr std::array<std::string_view, 4> kServiceOnly = {
      "caselink.v1.EvidenceReceipt",     // caselink-evidence
      "caselink.v1.StandardsAssessment",  // caselink-standards
      "caselink.v1.CaseStateSnapshot",   // caselink-sync
      "caselink.v1.Alert",               // caselink-sync / -standards / -feedback
  };
  for (std::string_view type : kServiceOnly) {
    if (type == event_type) {
      return true;
    }
  }
  return false;
}

TopicRouter::TopicRouter(std::map<std::string, std::string> overrides) : overrides_(std::move(overrides)) {}

Result<std::string> TopicRouter::topic_for(const caselink::v1::Envelope& envelope) const {
  if (is_service_only(envelope.event_type())) {
    return Error::invalid("'" + envelope.event_type() + "' is produced by caselink services only and cannot be submitted",
                          "event_type", kServiceOnlyType);
  }
  auto topic = envelope::topic_for(envelope);
  if (!topic.ok()) {
    Error error = topic.error();
    error.field = "event_type";
    error.message = "'" + envelope.event_type() + "' " + error.message;
    return error;
  }
  auto it = overrides_.find(*topic);
  return it == overrides_.end() ? *topic : it->second;
}

}  // namespace caselink::ingress

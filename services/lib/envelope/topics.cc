#include "services/lib/envelope/topics.h"

namespace caselink::envelope {

std::string with_agency(std::string_view text, std::string_view agency_id) {
  const std::string_view placeholder = topics::kAgencyPlaceholder;
  std::string out(text);
  for (size_t at = out.find(placeholder); at != std::string::npos; at = out.find(placeholder, at + agency_id.size())) {
    out.replace(at, placeholder.size(), agency_id);
  }
  return out;
}

std::string feedback_topic_for(std::string_view agency_id, std::string_view name_template) {
  return with_agency(name_template, agency_id);
}

}  // namespace caselink::envelope

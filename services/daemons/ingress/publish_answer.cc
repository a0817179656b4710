#include "services/daemons/ingress/publish_answer.h"

#include <nlohmann/json.hpp>

namespace caselink::ingress {

using nlohmann::json;

namespace {

json accepted_json(const ParsedEvent& event, const kafka::Delivery& d) {
  return json{{"event_id", event.envelope.event_id()}, {"topic", d.topic}, {"partition", d.partition},
              {"offset", d.offset}};
}

ApiError not_stored(const ParsedEvent& event, const EventOutcome& outcome) {
  const std::string& id = event.envelope.event_id();
  if (!outcome.decided) {
    return ApiError::unavailable("publish.timeout",
                                 "event " + id +
                                     ": no acknowledgement from the broker in time; it may still be stored, "
                                     "retry with the same Idempotency-Key or event_id",
                                 kRetryAfterUnavailableSeconds);
  }
  const Error& e = outcome.delivery.error();
  const std::string rule = e.code == ErrorCode::kUnavailable ? "publish.unavailable" : "publish.refused";
  return ApiError::unavailable(rule, "event " + id + " was not stored: " + e.message, kRetryAfterUnavailableSeconds);
}

PublishAnswer single(const ParsedEvent& event, const EventOutcome& outcome) {
  PublishAnswer answer;
  if (outcome.decided && outcome.delivery.ok()) {
    answer.status = 202;
    answer.body = dump_json(accepted_json(event, *outcome.delivery));
    answer.any_stored = true;
    return answer;
  }
  const ApiError error = not_stored(event, outcome);
  answer.status = error.status;
  answer.body = error.to_json();
  answer.headers.emplace_back("Retry-After", std::to_string(kRetryAfterUnavailableSeconds));
  answer.refused_rules.push_back(error.rule);
  return answer;
}

}  // namespace

PublishAnswer answer_publish(const ParsedRequest& request, const std::vector<EventOutcome>& outcomes) {
  if (!request.batch) {
    return single(request.events.at(0), outcomes.at(0));
  }
  PublishAnswer answer;
  json list = json::array();
  size_t stored = 0;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const ParsedEvent& event = request.events.at(i);
    json item;
    if (outcomes[i].decided && outcomes[i].delivery.ok()) {
      ++stored;
      item = accepted_json(event, *outcomes[i].delivery);
      item["status"] = 202;
    } else {
      const ApiError error = not_stored(event, outcomes[i]);
      answer.refused_rules.push_back(error.rule);
      item = json::parse(error.to_json());
      item["event_id"] = event.envelope.event_id();
      item["status"] = 503;
    }
    item["index"] = i;
    list.push_back(std::move(item));
  }
  answer.body = dump_json(json{{"results", std::move(list)}});
  answer.status = stored == outcomes.size() ? 202 : (stored == 0 ? 503 : 207);
  answer.any_stored = stored > 0;
  if (stored == 0) {
    answer.headers.emplace_back("Retry-After", std::to_string(kRetryAfterUnavailableSeconds));
  }
  return answer;
}

}  // namespace caselink::ingress

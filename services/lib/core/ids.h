#pragma once

// Strong types for the identifiers that flow through every event, so a case id can never be
// passed where an agency id is expected.

#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace caselink {

template <typename Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(std::string value) : value_(std::move(value)) {}

  const std::string& str() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend bool operator==(const StrongId&, const StrongId&) = default;
  friend auto operator<=>(const StrongId&, const StrongId&) = default;

 private:
  std::string value_;
};

struct CaseIdTag {};
struct EventIdTag {};
struct AgencyIdTag {};

using CaseId = StrongId<CaseIdTag>;
using EventId = StrongId<EventIdTag>;
using AgencyId = StrongId<AgencyIdTag>;

}  // namespace caselink

template <typename Tag>
struct std::hash<caselink::StrongId<Tag>> {
  size_t operator()(const caselink::StrongId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};

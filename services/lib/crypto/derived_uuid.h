#pragma once

// The one name-based id of the tree: every event id (and other id) a service derives from an
// input, so that a redelivered or replayed input yields the same id and consumers deduplicate it.
// Contract: docs/topics.md "Derived ids".

#include <string>
#include <string_view>

namespace caselink::crypto {

// caselink's UUID namespace (a fixed random UUID; first used by caselink-feedback).
inline constexpr std::string_view kIdNamespace = "6f1c2a90-4b7e-4d0a-9b55-3e21c80d7142";

// RFC 4122 version-5 UUID (SHA-1) in caselink's namespace of the name `purpose + ":" + input`,
// lowercase canonical text. Python: uuid.uuid5(uuid.UUID(kIdNamespace), purpose + ":" + input).
// SHA-1 here is a naming function (a standard one every language has), not a security measure.
std::string derived_uuid(std::string_view purpose, std::string_view input);

}  // namespace caselink::crypto

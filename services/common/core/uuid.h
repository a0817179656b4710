#pragma once

#include <string>
#include <string_view>

namespace caselink {

// A random (version 4) UUID in canonical lowercase text form.
std::string new_uuid();

// True when `text` is a UUID in canonical 8-4-4-4-12 hex form (any version, either case).
bool is_canonical_uuid(std::string_view text);

}  // namespace caselink

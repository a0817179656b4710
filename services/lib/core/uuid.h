#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace caselink {

// A random (version 4) UUID in canonical lowercase text form.
std::string new_uuid();

// 16 bytes (version and variant bits already set) as canonical lowercase 8-4-4-4-12 text: the one
// formatting of new_uuid() and crypto::derived_uuid().
std::string uuid_text(const std::array<uint8_t, 16>& bytes);

// True when `text` is a UUID in canonical 8-4-4-4-12 hex form (any version, either case).
bool is_canonical_uuid(std::string_view text);

}  // namespace caselink

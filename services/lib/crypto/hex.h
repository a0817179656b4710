#pragma once

// Hex text of bytes and back: the one place caselink turns digests and keys into text.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace caselink::crypto {

// Lowercase hex, two digits per byte.
std::string to_hex(std::string_view bytes);
std::string to_hex(std::span<const uint8_t> bytes);

// Decodes exactly out.size() bytes from 2 * out.size() hex digits (either case). Returns the
// position of the first character that is not a hex digit, or -1 when all were (the caller has
// checked the length and words its own error).
long hex_decode(std::string_view text, std::span<uint8_t> out);

// The bytes of hex text of any even length (either case), e.g. binary record values kept as
// hex in a JSON state; nullopt when the length is odd or a character is not a hex digit.
std::optional<std::string> from_hex(std::string_view text);

}  // namespace caselink::crypto

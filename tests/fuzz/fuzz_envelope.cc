// Fuzz target: the envelope decode and validation every consuming service runs on each record
// (services/lib/envelope). Whatever the bytes, decode() and validate() answer with a value;
// a valid envelope re-encodes, gets its CloudEvents headers and a topic.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/routing.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace caselink;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = envelope::decode(bytes);
  if (!decoded) {
    return 0;
  }
  const auto& env = decoded.value();
  if (!envelope::validate(env)) {
    return 0;
  }
  (void)envelope::encode(env);
  (void)envelope::cloud_event_headers(env);
  (void)envelope::topic_for(env);
  if (env.has_occurred_at()) {
    (void)envelope::to_time_point(env.occurred_at());
  }
  return 0;
}

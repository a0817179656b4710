#pragma once

#include <cstdint>
#include <string>

namespace caselink::testing {

struct HttpReply {
  int status = 0;     // 0 when the connection failed
  std::string body;
};

// A minimal blocking HTTP/1.1 GET to 127.0.0.1:port (Connection: close).
HttpReply http_get(uint16_t port, const std::string& path);

}  // namespace caselink::testing

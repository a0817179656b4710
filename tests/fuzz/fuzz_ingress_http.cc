// Fuzz target: the parts of an HTTP request head that caselink's own code reads before any
// handler runs (services/daemons/ingress): the request target against the route table (with its
// %-decoding), the Authorization header, and the error body that echoes what it could not use.
// Input: "<method> <target>\n<authorization header value>" (a missing newline: no header).

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "services/daemons/ingress/api_error.h"
#include "services/daemons/ingress/auth.h"
#include "services/daemons/ingress/routes.h"

namespace {

const caselink::ingress::TokenAuthenticator& authenticator() {
  // One agency whose token is "secret-token" (SHA-256 below).
  static const auto instance = caselink::ingress::TokenAuthenticator::create(
      {{"sthjj-330100", "930bbdc51b6aed5c2a5678fd6e28dee7a05e8a4b643cfc0b4427c3efb86c0d94"}});
  return instance.value();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)authenticator();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace caselink::ingress;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view line = input.substr(0, newline);
  const std::string_view header = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
  const size_t space = line.find(' ');
  const std::string_view method = line.substr(0, space);
  const std::string_view target = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);

  const RouteMatch match = match_route(method, target);
  if (match.route != nullptr) {
    (void)route_label(*match.route);
  }
  (void)percent_decode(target);
  const auto agency = authenticator().authenticate(header);
  // The answers a client gets for a target or a header the server cannot use name what it sent.
  (void)ApiError::not_found("path", "route.unknown", "no route for " + std::string(target)).to_json();
  if (!agency) {
    (void)ApiError::unauthenticated("the token in '" + std::string(header) + "' is not known").to_json();
  }
  return 0;
}

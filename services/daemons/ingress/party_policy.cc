#include "services/daemons/ingress/party_policy.h"

namespace caselink::ingress {

std::optional<PartyKind> parse_party_kind(std::string_view text) {
  auto kind = authz::parse_party_kind(text);
  if (kind == PartyKind::kService) {
    return std::nullopt;
  }
  return kind;
}

bool may_send(PartyKind kind, std::string_view event_type) {
  return authz::RoleModel::builtin().may_send(kind, event_type);
}

std::string allowed_types(PartyKind kind) { return authz::RoleModel::builtin().allowed_types(kind); }

}  // namespace caselink::ingress

#include "services/ctl/ops_audit.h"

#include <nlohmann/json.hpp>

#include "services/case-sync/case_engine.h"
#include "services/ctl/case_history.h"
#include "services/ctl/case_view.h"
#include "services/ctl/commands.h"

namespace caselink::ctl {

int audit_verify(const std::string& case_id, bool all_partitions, const OpsOptions& options, std::ostream& out,
                 std::ostream& err) {
  ReadOptions read;
  read.bootstrap = options.kafka.bootstrap;
  read.kafka = options.kafka;
  read.timeout = options.timeout;
  read.all_partitions = all_partitions;
  auto history = read_case(case_id, read);
  if (!history.ok()) {
    err << "caselinkctl: " << history.error().message << "\n";
    return kBrokerError;
  }
  if (history.value().empty()) {
    err << "caselinkctl: no record of case " << case_id << " on the case topics\n";
    return kNotFound;
  }
  const ChainReport c = verify_chain(history.value());
  if (options.json) {
    out << nlohmann::json{{"case_id", case_id},
                          {"scheme", sync::kHashScheme},
                          {"ok", c.ok},
                          {"versions_present", c.versions_present},
                          {"first_version", c.first_version},
                          {"verified", c.verified},
                          {"unverifiable", c.unverifiable},
                          {"broken_version", c.broken_version},
                          {"problem", c.problem}}
               .dump(2)
        << "\n";
  } else if (c.ok) {
    out << "Hash chain of " << case_id << ": OK — " << c.verified << " of " << c.versions_present
        << " version(s) recomputed from the stored events";
    if (c.unverifiable > 0) out << ", " << c.unverifiable << " whose event has left retention";
    if (c.first_version > 1) out << "; versions below " << c.first_version << " compacted away";
    out << "\n  (" << sync::kHashScheme << ")\n";
  } else {
    out << "Hash chain of " << case_id << ": BROKEN at version " << c.broken_version << ": " << c.problem << "\n";
  }
  return c.ok ? kOk : kChainBroken;
}

}  // namespace caselink::ctl

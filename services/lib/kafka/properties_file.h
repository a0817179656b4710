#pragma once

// librdkafka properties files: the form deploy/local/kafka.sh --secure writes for each principal
// (`kafka.sh client-config NAME`), which kcat -F, caselink-topics --client-config and the
// kafka.client_config_file setting read.

#include <map>
#include <string>

#include "services/lib/core/result.h"

namespace caselink::kafka {

// key=value lines; blank lines and lines starting with '#' are skipped; spaces around key and
// value are trimmed; a key set twice is refused. Messages name the file and line, never a value
// (the file holds a password).
Result<std::map<std::string, std::string>> read_properties_file(const std::string& path);

}  // namespace caselink::kafka

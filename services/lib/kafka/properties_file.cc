#include "services/lib/kafka/properties_file.h"

#include <algorithm>
#include <fstream>

namespace caselink::kafka {

Result<std::map<std::string, std::string>> read_properties_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Error::invalid("cannot read " + path);
  }
  std::map<std::string, std::string> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') {
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos || eq <= first) {
      return Error::invalid(path + ":" + std::to_string(number) + ": expected key=value");
    }
    std::string key = line.substr(first, eq - first);
    key.erase(key.find_last_not_of(" \t") + 1);
    std::string value = line.substr(eq + 1);
    value.erase(0, std::min(value.size(), value.find_first_not_of(" \t")));
    value.erase(value.find_last_not_of(" \t\r") + 1);
    if (!out.emplace(key, value).second) {
      return Error::invalid(path + ":" + std::to_string(number) + ": '" + key + "' set twice");
    }
  }
  return out;
}

}  // namespace caselink::kafka

#pragma once

// A "<field>:   123 kB" line of /proc/<pid>/status (VmRSS, VmHWM), in MB; -1 when absent.

#include <fstream>
#include <string>

namespace caselink::bench {

inline double status_mb(const std::string& status_path, const std::string& field) {
  std::ifstream f(status_path);
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;  // kB
  }
  return -1;
}

inline double process_mb(int pid, const std::string& field) {
  return status_mb("/proc/" + std::to_string(pid) + "/status", field);
}

}  // namespace caselink::bench

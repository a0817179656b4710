#pragma once
// Runs the real caselinkctl binary (path from $CASELINKCTL_BIN, set by CMake) and captures its
// output and exit code: what the integration tests of caselinkctl check.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/support/kafka_test_env.h"

namespace caselink::ctl {

struct CtlRun {
  int status = -1;
  std::string out;
};

inline CtlRun run_ctl(const std::string& args, bool with_stderr = true) {
  CtlRun r;
  // CMake passes the binary's path ($<TARGET_FILE:caselinkctl>); outside ctest, the build tree.
  const char* bin = std::getenv("CASELINKCTL_BIN");
  const std::string cmd = (bin != nullptr ? std::string(bin) : testing::build_path("bin/caselinkctl")) + " " +
                          args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    return r;
  }
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    r.out.append(buf.data(), n);
  }
  const int status = pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace caselink::ctl

#pragma once

// What a binary says about itself in --version, its start-up log line and benchmark output:
// caselink's version and which malloc the process runs on.
//
// Service and benchmark binaries link jemalloc (CMake option CASELINK_ALLOCATOR, default
// "jemalloc"; docs/performance.md has the measurements behind that choice). Linking is all it
// takes: jemalloc's malloc/free take the place of glibc's for the whole process, librdkafka and
// protobuf included. This function asks the running process rather than the build, so a binary
// whose linker dropped the library says so.

#include <string>

namespace caselink {

// "jemalloc <version>" when jemalloc serves malloc in this process, else "glibc malloc".
std::string allocator_name();

// "<program> <caselink version> (<allocator_name()>)", e.g. "caselink-sync 0.1.0 (jemalloc 5.3.0-0-g…)".
std::string version_line(const std::string& program);

}  // namespace caselink

#include "services/lib/core/build_info.h"

#include <dlfcn.h>

namespace caselink {

std::string allocator_name() {
  // Looked up at run time, not declared: the core library must also link without jemalloc
  // (tests, CASELINK_ALLOCATOR=system, sanitizer builds).
  using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
  auto* mallctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
  if (mallctl == nullptr) return "glibc malloc";
  const char* version = nullptr;
  size_t length = sizeof(version);
  if (mallctl("version", static_cast<void*>(&version), &length, nullptr, 0) != 0 || version == nullptr) {
    return "jemalloc";
  }
  return std::string("jemalloc ") + version;
}

std::string version_line(const std::string& program) {
  return program + " " + CASELINK_VERSION + " (" + allocator_name() + ")";
}

}  // namespace caselink

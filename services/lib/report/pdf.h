#pragma once
// The report page printed to PDF by Debian's headless Chromium (apt package `chromium`):
// the page is self-contained (ECharts inlined), written to a private temporary directory with
// its own Chromium profile, printed, and the directory removed.

#include <chrono>
#include <string>

#include "services/lib/core/result.h"

namespace caselink::report {

inline constexpr const char* kDefaultChromium = "/usr/bin/chromium";

struct PdfOptions {
  std::string chromium = kDefaultChromium;
  // Chromium is killed and the print fails after this long.
  std::chrono::seconds timeout{120};
};

// Prints `html` to `out_path`. not_found when the Chromium binary is missing (naming it and the
// package); unavailable when Chromium fails, times out or writes something that is not a PDF.
Status print_pdf(const std::string& html, const std::string& out_path, const PdfOptions& options = {});

}  // namespace caselink::report

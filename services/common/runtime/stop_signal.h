#pragma once

// SIGTERM / SIGINT → a stop flag the main loop polls. The handler only stores to a
// lock-free atomic, which is async-signal-safe.

#include <atomic>

namespace caselink::runtime {

// Installs the handlers (idempotent) and returns the process-wide stop flag.
std::atomic<bool>& install_stop_signal_handlers();

}  // namespace caselink::runtime

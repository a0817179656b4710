#pragma once

// The process's signals, owned by the runtime: SIGTERM / SIGINT → the stop flag the
// composition root waits on; SIGHUP → a reload flag, for a service that reloads its data on
// request (caselink-standards' rule set). The handlers only store to lock-free atomics, which
// is async-signal-safe.

#include <atomic>

namespace caselink::runtime {

// Installs the handlers (idempotent) and returns the process-wide stop flag.
std::atomic<bool>& install_stop_signal_handlers();

// Installs the SIGHUP handler (idempotent) and returns the flag it sets; the service clears it
// when it has reloaded. Not installed unless asked for: SIGHUP keeps its default elsewhere.
std::atomic<bool>& install_reload_signal_handler();

}  // namespace caselink::runtime

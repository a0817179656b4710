#pragma once

// The composition root of caselink-ingress (main.cc only calls run_ingress): command line,
// config, logging and metrics, then the components in dependency order — blob store,
// idempotent producer, case-state follower, public API, admin endpoint — and, on SIGTERM or
// SIGINT, the reverse: stop accepting, let in-flight publishes be acknowledged, stop.

namespace caselink::ingress {

// Returns the process exit code: 0 clean stop, 1 runtime failure, 2 bad command line or config.
int run_ingress(int argc, char** argv);

}  // namespace caselink::ingress

#include "services/common/runtime/metrics_observer.h"

#include <cstring>

namespace caselink::runtime {

void MetricsLoopObserver::transaction(const char* result) {
  if (std::strcmp(result, "commit") == 0) {
    metrics_.transactions(metrics::TxnResult::kCommit).inc();
  } else if (std::strcmp(result, "abort") == 0) {
    metrics_.transactions(metrics::TxnResult::kAbort).inc();
  } else {
    metrics_.transactions(metrics::TxnResult::kFatal).inc();
  }
}

}  // namespace caselink::runtime

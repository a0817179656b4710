#pragma once
// How caselinkctl's ops commands read topics: kafka::TopicReader (assign-only, read_committed,
// no group), records decoded into CaseRecordRef where they are envelopes.

#include <string>
#include <vector>

#include "services/lib/core/record.h"
#include "services/lib/kafka/topic_reader.h"
#include "services/tools/ctl/case_history.h"
#include "services/tools/ctl/ops.h"

namespace caselink::ctl {

// The record with its envelope decoded (left empty when the value is not an envelope).
CaseRecordRef to_ref(const ConsumedRecord& record);

// Reader options every ops command starts from: client id, timeout, quiet librdkafka, and a
// broker outage reported as an error rather than waited out.
kafka::TopicReaderOptions reader_options(const OpsOptions& options, const std::string& client_id);

// Every record the reader hands out up to its end.
Result<std::vector<CaseRecordRef>> read_all(const OpsOptions& options, kafka::TopicReaderOptions reader);

}  // namespace caselink::ctl

#include "services/tools/ctl/ops_read.h"

#include "services/lib/envelope/codec.h"

namespace caselink::ctl {

CaseRecordRef to_ref(const ConsumedRecord& record) { return to_record_ref(record, nullptr); }

kafka::TopicReaderOptions reader_options(const OpsOptions& options, const std::string& client_id) {
  kafka::TopicReaderOptions reader;
  reader.client_id = client_id;
  reader.timeout = options.timeout;
  reader.fail_when_brokers_down = true;
  // A command-line tool reports broker trouble once, in its own words and exit code.
  reader.properties = {{"log_level", "2"}};
  return reader;
}

Result<std::vector<CaseRecordRef>> read_all(const OpsOptions& options, kafka::TopicReaderOptions reader) {
  std::vector<CaseRecordRef> out;
  const Status st =
      kafka::read_topics_to_end(options.kafka, std::move(reader), [&](const ConsumedRecord& r) { out.push_back(to_ref(r)); });
  if (!st.ok()) return st.error();
  return out;
}

}  // namespace caselink::ctl

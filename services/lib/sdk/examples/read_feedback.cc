// Example 2: an agency reads what became of its cases.
//
// caselink-feedback copies every decision, evidence receipt and threshold assessment of an
// agency's cases to that agency's own topic caselink.feedback.<agency>.v1. The adapter reads it
// with a FeedbackReader in its own consumer group, handles each record (here: prints it), and
// commits only after that, so a crash in between re-delivers instead of losing a record. A
// real adapter then acknowledges each record with FeedbackAcknowledged on caselink.ack.v1
// (docs/sdk.md), which this example leaves out.
#include <CLI/CLI.hpp>
#include <google/protobuf/descriptor.h>

#include "services/lib/config/cli.h"
#include "services/lib/sdk/examples/examples.h"

namespace caselink::sdk::examples {

namespace pb = google::protobuf;

std::string summarize(const v1::Envelope& envelope) {
  const pb::Reflection* reflection = envelope.GetReflection();
  const pb::OneofDescriptor* oneof = v1::Envelope::descriptor()->FindOneofByName("payload");
  const pb::FieldDescriptor* payload_field = reflection->GetOneofFieldDescriptor(envelope, oneof);
  if (payload_field == nullptr) {
    return "(no payload)";
  }
  const pb::Message& payload = reflection->GetMessage(envelope, payload_field);
  const pb::Reflection* r = payload.GetReflection();
  const pb::Descriptor* d = payload.GetDescriptor();
  std::string out;
  auto add = [&out](const std::string& name, const std::string& value) {
    out += (out.empty() ? "" : " ") + name + "=" + value;
  };
  // The fields a person scans for first: what was decided (the enums) and under which document.
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->type() == pb::FieldDescriptor::TYPE_ENUM && !f->is_repeated()) {
      if (r->GetEnumValue(payload, f) != 0) {
        add(f->name(), r->GetEnum(payload, f)->name());
      }
    } else if (f->type() == pb::FieldDescriptor::TYPE_ENUM && r->FieldSize(payload, f) > 0) {
      std::string values;
      for (int j = 0; j < r->FieldSize(payload, f); ++j) {
        values += (j == 0 ? "" : ",") + r->GetRepeatedEnum(payload, f, j)->name();
      }
      add(f->name(), values);
    } else if (f->type() == pb::FieldDescriptor::TYPE_STRING && !f->is_repeated() &&
               f->name().ends_with("_number") && !r->GetString(payload, f).empty()) {
      add(f->name(), r->GetString(payload, f));
    }
  }
  return out.empty() ? "(no status fields)" : out;
}

std::optional<int> parse_with_limits(CLI::App& app, const std::vector<std::string>& args, std::ostream& out,
                                     std::ostream& err, const int64_t& max_records, const int64_t& idle_timeout_ms) {
  if (std::optional<int> status = config::parse_cli(app, args, out, err)) {
    return status;
  }
  if (max_records < 0 || idle_timeout_ms < 0) {
    err << "--max-records and --idle-timeout-ms must be >= 0\n";
    return 2;
  }
  return std::nullopt;
}

namespace {

struct ReadArgs {
  ClientOptions options;
  std::string group_id;
  std::string case_filter;
  int64_t max_records = 0;
  int64_t idle_timeout_ms = 10000;
  bool no_commit = false;
};

// Parses `args` into `a`. -1 when the reader should run, else the exit code (help printed: 0,
// bad arguments: 2).
int parse_args(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, ReadArgs* a) {
  a->options.agency_id = "sthjj-330100";
  CLI::App app{"caselink-example-read-feedback — an agency reads its feedback topic caselink.feedback.<agency>.v1 "
               "(caselink adapter SDK example)"};
  app.add_option("--bootstrap", a->options.bootstrap, "Kafka bootstrap host:port")->required();
  app.add_option("--client-config", a->options.kafka_config_file,
                 "The agency's broker credentials, a librdkafka client file (kafka.sh --secure's "
                 "<agency>.properties); none: plaintext")
      ->envname("CASELINK_KAFKA_CLIENT_CONFIG_FILE");
  app.add_option("--agency", a->options.agency_id, "Agency (caselink party id) whose feedback to read")
      ->capture_default_str();
  app.add_option("--group", a->group_id, "Consumer group (default: <agency>-adapter)");
  app.add_option("--case", a->case_filter, "Print only records of this case id (all others are still committed)");
  app.add_option("--max-records", a->max_records, "Exit after printing this many records (0 = no limit)")
      ->capture_default_str();
  app.add_option("--idle-timeout-ms", a->idle_timeout_ms, "Exit after this long without a new record")
      ->capture_default_str();
  app.add_flag("--no-commit", a->no_commit, "Do not commit: the same records are read again next time");
  app.footer("Prints one line per record: feedback type=... case=... event=... summary: ...\n"
             "Exit status: 0 done (max records or idle), 1 reading failed, 2 bad arguments.");
  if (std::optional<int> status = parse_with_limits(app, args, out, err, a->max_records, a->idle_timeout_ms)) {
    return *status;
  }
  if (a->group_id.empty()) {
    a->group_id = a->options.agency_id + "-adapter";
  }
  return -1;
}

}  // namespace

int read_feedback_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  ReadArgs a;
  if (int code = parse_args(args, out, err, &a); code >= 0) {
    return code;
  }
  auto reader = FeedbackReader::create(a.options, a.group_id);
  if (!reader.ok()) {
    err << "cannot start: " << reader.error().describe() << "\n";
    return 2;
  }
  int64_t printed = 0;
  auto last_record = std::chrono::steady_clock::now();
  while (a.max_records == 0 || printed < a.max_records) {
    if (std::chrono::steady_clock::now() - last_record >= std::chrono::milliseconds(a.idle_timeout_ms)) {
      err << "idle for " << a.idle_timeout_ms << " ms, stopping\n";
      break;
    }
    auto batch = (*reader)->poll(std::chrono::milliseconds(500));
    if (!batch.ok()) {
      if (batch.error().code == ErrorCode::kInvalid) {
        // A record that is not an envelope: report it and go on (it counts as read).
        err << "skipped: " << batch.error().describe() << "\n";
        continue;
      }
      err << "reading failed: " << batch.error().describe() << "\n";
      return 1;
    }
    if (batch->empty()) {
      continue;
    }
    last_record = std::chrono::steady_clock::now();
    size_t handled = 0;
    for (const v1::Envelope& e : *batch) {
      ++handled;
      if (!a.case_filter.empty() && e.case_id() != a.case_filter) {
        continue;
      }
      out << "feedback type=" << e.event_type() << " case=" << e.case_id() << " event=" << e.event_id()
          << " causation=" << e.causation_id() << " summary: " << summarize(e) << "\n";
      out.flush();
      if (++printed == a.max_records) {
        break;
      }
    }
    // Handled (printed) first, committed after: a crash in between means a re-delivery.
    // commit() covers the whole batch, so when --max-records stopped us inside it nothing is
    // committed: the printed records come again next time rather than the others being lost.
    if (!a.no_commit && handled == batch->size()) {
      if (Status committed = (*reader)->commit(); !committed.ok()) {
        err << "commit failed (the records will be read again): " << committed.error().describe() << "\n";
      }
    }
  }
  return 0;
}

}  // namespace caselink::sdk::examples

#pragma once

// Logging for every service: spdlog, one named logger per module, text or JSON lines.
//
// Every line on the event path carries case_id, event_id, event_type, topic, partition and
// offset. The transactional loop sets them once per record with a ScopedEventContext, and
// the formatter appends them to each line written on that thread, so handler code just logs.

#include <spdlog/formatter.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <memory>
#include <string>

#include "services/lib/core/result.h"

namespace caselink::logging {

enum class Format { kText, kJson };

struct Settings {
  std::string level = "info";    // trace|debug|info|warn|error|critical|off
  std::string format = "text";   // text|json
  std::string service = "caselink";
};

// Validates the settings and installs the formatter and level on every logger, now and
// created later. Returns an error naming log.level / log.format when a value is unknown.
Status init(const Settings& settings);

// The named logger of a module ("kafka.loop", "sync.handler", ...), created on first use.
std::shared_ptr<spdlog::logger> get(const std::string& module);

// What the event path knows about the record being handled.
struct EventContext {
  std::string case_id;
  std::string event_id;
  std::string event_type;
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
};

// Sets the event context of this thread for its lifetime; restores the previous one after.
class ScopedEventContext {
 public:
  explicit ScopedEventContext(EventContext context);
  ~ScopedEventContext();
  ScopedEventContext(const ScopedEventContext&) = delete;
  ScopedEventContext& operator=(const ScopedEventContext&) = delete;

 private:
  EventContext previous_;
  bool had_previous_;
};

// Read by the formatter; exposed for tests.
const EventContext* current_event_context();

// Builds a formatter for the given format (used by init; exposed so tests can render lines).
std::unique_ptr<spdlog::formatter> make_formatter(Format format, std::string service);

}  // namespace caselink::logging

#include "services/lib/logging/logging.h"

#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <chrono>
#include <ctime>
#include <mutex>

namespace caselink::logging {

namespace {

thread_local EventContext t_context;
thread_local bool t_has_context = false;

std::mutex g_mutex;
Format g_format = Format::kText;
std::string g_service = "caselink";
spdlog::level::level_enum g_level = spdlog::level::info;

void append(spdlog::memory_buf_t& dest, std::string_view text) { dest.append(text.data(), text.data() + text.size()); }

void append_json_string(spdlog::memory_buf_t& dest, std::string_view text) {
  dest.push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        append(dest, "\\\"");
        break;
      case '\\':
        append(dest, "\\\\");
        break;
      case '\n':
        append(dest, "\\n");
        break;
      case '\r':
        append(dest, "\\r");
        break;
      case '\t':
        append(dest, "\\t");
        break;
      default:
        if (c < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof(esc), "\\u%04x", c);
          append(dest, esc);
        } else {
          dest.push_back(static_cast<char>(c));
        }
    }
  }
  dest.push_back('"');
}

std::string timestamp(const spdlog::log_clock::time_point& tp) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

class CaselinkFormatter final : public spdlog::formatter {
 public:
  CaselinkFormatter(Format format, std::string service) : format_(format), service_(std::move(service)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto level_view = spdlog::level::to_string_view(msg.level);
    const std::string_view level(level_view.data(), level_view.size());
    const std::string_view logger(msg.logger_name.data(), msg.logger_name.size());
    const std::string_view text(msg.payload.data(), msg.payload.size());
    const EventContext* ctx = current_event_context();
    if (format_ == Format::kJson) {
      append(dest, "{\"ts\":\"");
      append(dest, timestamp(msg.time));
      append(dest, "\",\"level\":\"");
      append(dest, level);
      append(dest, "\",\"service\":");
      append_json_string(dest, service_);
      append(dest, ",\"logger\":");
      append_json_string(dest, logger);
      append(dest, ",\"msg\":");
      append_json_string(dest, text);
      if (ctx != nullptr) {
        auto field = [&](std::string_view name, std::string_view value) {
          if (!value.empty()) {
            append(dest, ",\"");
            append(dest, name);
            append(dest, "\":");
            append_json_string(dest, value);
          }
        };
        field("case_id", ctx->case_id);
        field("event_id", ctx->event_id);
        field("event_type", ctx->event_type);
        field("topic", ctx->topic);
        if (ctx->partition >= 0) {
          append(dest, ",\"partition\":");
          append(dest, std::to_string(ctx->partition));
        }
        if (ctx->offset >= 0) {
          append(dest, ",\"offset\":");
          append(dest, std::to_string(ctx->offset));
        }
      }
      append(dest, "}\n");
      return;
    }
    append(dest, timestamp(msg.time));
    append(dest, " ");
    append(dest, level);
    append(dest, " [");
    append(dest, logger);
    append(dest, "] ");
    append(dest, text);
    if (ctx != nullptr) {
      auto field = [&](std::string_view name, std::string_view value) {
        if (!value.empty()) {
          append(dest, " ");
          append(dest, name);
          append(dest, "=");
          append(dest, value);
        }
      };
      field("case_id", ctx->case_id);
      field("event_id", ctx->event_id);
      field("event_type", ctx->event_type);
      field("topic", ctx->topic);
      if (ctx->partition >= 0) {
        field("partition", std::to_string(ctx->partition));
      }
      if (ctx->offset >= 0) {
        field("offset", std::to_string(ctx->offset));
      }
    }
    append(dest, "\n");
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<CaselinkFormatter>(format_, service_);
  }

 private:
  Format format_;
  std::string service_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_formatter(Format format, std::string service) {
  return std::make_unique<CaselinkFormatter>(format, std::move(service));
}

Status init(const Settings& settings) {
  Format format;
  if (settings.format == "text") {
    format = Format::kText;
  } else if (settings.format == "json") {
    format = Format::kJson;
  } else {
    return Error::invalid("must be 'text' or 'json', got '" + settings.format + "'", "log.format");
  }
  const auto level = spdlog::level::from_str(settings.level);
  if (level == spdlog::level::off && settings.level != "off") {
    return Error::invalid("must be one of trace, debug, info, warn, error, critical, off; got '" + settings.level + "'",
                          "log.level");
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  g_format = format;
  g_service = settings.service;
  g_level = level;
  spdlog::set_formatter(make_formatter(format, settings.service));
  spdlog::set_level(level);
  return Status::success();
}

std::shared_ptr<spdlog::logger> get(const std::string& module) {
  if (auto existing = spdlog::get(module)) {
    return existing;
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  if (auto existing = spdlog::get(module)) {
    return existing;
  }
  // All loggers write to stderr; stdout stays free for program output (e.g. the bootstrap line).
  auto logger = spdlog::stderr_color_mt(module);
  logger->set_formatter(make_formatter(g_format, g_service));
  logger->set_level(g_level);
  return logger;
}

ScopedEventContext::ScopedEventContext(EventContext context)
    : previous_(t_context), had_previous_(t_has_context) {
  t_context = std::move(context);
  t_has_context = true;
}

ScopedEventContext::~ScopedEventContext() {
  t_context = std::move(previous_);
  t_has_context = had_previous_;
}

const EventContext* current_event_context() { return t_has_context ? &t_context : nullptr; }

}  // namespace caselink::logging

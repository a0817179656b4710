#include "services/tools/topics/admin_client.h"

#include <algorithm>
#include <array>
#include <utility>

#include "services/lib/kafka/errors.h"
#include "services/lib/kafka/factory.h"

namespace caselink::topics {

Error kafka_error(rd_kafka_resp_err_t err, const char* detail) {
  std::string message = (detail != nullptr && *detail != '\0') ? detail : rd_kafka_err2str(err);
  message += std::string(" (") + rd_kafka_err2name(err) + ")";
  return kafka::request_error(static_cast<RdKafka::ErrorCode>(err), std::move(message));
}

std::optional<Error> AdminClient::init() {
  // The handle comes from the client factory, like every librdkafka client: the client config
  // (--client-config: security and other properties) as kafka.properties, --bootstrap as the
  // broker list (a bootstrap.servers in the client config is ignored: --bootstrap decides).
  kafka::KafkaSettings settings;
  settings.bootstrap = config_.bootstrap;
  settings.properties = config_.properties;
  settings.properties.erase("bootstrap.servers");
  const kafka::Properties role = {
      {"client.id", "caselink-topics"},
      // librdkafka accepts 10..300000 here; longer --timeout-ms still applies to each request.
      {"socket.timeout.ms", std::to_string(std::clamp<int64_t>(config_.timeout.count(), 10, 300000))},
  };
  auto made = kafka::make_admin(settings, role, {this, &AdminClient::on_log, &AdminClient::on_error});
  if (!made.ok()) {
    const std::string& field = made.error().field;
    const std::string prefix = "kafka.properties.";
    if (field.rfind(prefix, 0) == 0) {
      // Never the value, nor librdkafka's text (which may quote it): it may be a password.
      return Error{ErrorCode::kInvalid,
                   "client config: librdkafka refused the setting '" + field.substr(prefix.size()) + "'"};
    }
    return Error{made.error().code == ErrorCode::kInvalid ? ErrorCode::kInvalid : ErrorCode::kInternal,
                 made.error().message};
  }
  rk_.reset(made->release());
  queue_.reset(rd_kafka_queue_new(rk_.get()));
  return std::nullopt;
}

void AdminClient::on_log(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto* self = static_cast<AdminClient*>(rd_kafka_opaque(rk));
  if (self != nullptr && self->config_.log) {
    self->config_.log(level, std::string(fac) + ": " + buf);
  }
}

void AdminClient::on_error(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  auto* self = static_cast<AdminClient*>(opaque);
  if (self == nullptr) {
    return;
  }
  {
    const std::lock_guard<std::mutex> lock(self->mu_);
    self->last_error_ = reason;
  }
  if (self->config_.log) {
    self->config_.log(3, std::string("error: ") + rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)) + ": " +
                             reason);
  }
}

std::string AdminClient::last_error() {
  const std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

Result<OptionsPtr> AdminClient::admin_options(rd_kafka_admin_op_t op, bool validate_only) {
  OptionsPtr options(rd_kafka_AdminOptions_new(rk_.get(), op));
  std::array<char, kErrstrSize> errstr{};
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms(), errstr.data(), errstr.size()) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error{ErrorCode::kInvalid, std::string("--timeout-ms: ") + errstr.data()};
  }
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS) {
    // Let the broker wait until the change has propagated before it answers.
    if (rd_kafka_AdminOptions_set_operation_timeout(options.get(), timeout_ms(), errstr.data(), errstr.size()) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Error{ErrorCode::kInvalid, std::string("--timeout-ms: ") + errstr.data()};
    }
  }
  if (validate_only && rd_kafka_AdminOptions_set_validate_only(options.get(), 1, errstr.data(), errstr.size()) !=
                           RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error{ErrorCode::kInternal, std::string("validate_only: ") + errstr.data()};
  }
  return options;
}

Result<EventPtr> AdminClient::wait_for(rd_kafka_event_type_t type, const char* what) {
  constexpr int kSlackMs = 5000;  // the request itself times out first and reports it
  EventPtr event(rd_kafka_queue_poll(queue_.get(), timeout_ms() + kSlackMs));
  if (!event) {
    return Error{ErrorCode::kUnavailable, std::string(what) + ": no answer from " + config_.bootstrap + " within " +
                                              std::to_string(timeout_ms() + kSlackMs) + " ms"};
  }
  if (rd_kafka_event_type(event.get()) != type) {
    return Error{ErrorCode::kInternal, std::string(what) + ": unexpected event " + rd_kafka_event_name(event.get())};
  }
  if (const rd_kafka_resp_err_t err = rd_kafka_event_error(event.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Error e = kafka_error(err, rd_kafka_event_error_string(event.get()));
    e.message = std::string(what) + " via " + config_.bootstrap + ": " + e.message;
    return e;
  }
  return event;
}

}  // namespace caselink::topics

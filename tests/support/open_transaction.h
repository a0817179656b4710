#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <string>
#include <vector>

#include "services/lib/kafka/factory.h"
#include "tests/support/kafka_test_env.h"

namespace caselink::testing {

// A raw transactional producer, so the test controls exactly when a transaction ends.
class OpenTransaction {
 public:
  OpenTransaction(const std::string& bootstrap, const std::string& topic) : topic_(topic) {
    auto made = kafka::make_producer(kafka_settings(bootstrap), {{"transactional.id", unique_name("it.txn")},
                                                                 {"transaction.timeout.ms", "60000"}});
    if (made.ok()) producer_ = std::move(made).value();
  }
  ~OpenTransaction() {
    if (open_) std::unique_ptr<RdKafka::Error>(producer_->abort_transaction(10000));
  }
  bool ready() const { return producer_ != nullptr; }

  // Begins a transaction and writes `values` into it, flushed to the broker.
  bool write(const std::vector<std::string>& values) {
    if (!initialized_) {
      if (std::unique_ptr<RdKafka::Error> e(producer_->init_transactions(30000)); e) return false;
      initialized_ = true;
    }
    if (std::unique_ptr<RdKafka::Error> e(producer_->begin_transaction()); e) return false;
    open_ = true;
    for (const auto& v : values) {
      const std::string key = "case-1";
      if (producer_->produce(topic_, 0, RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(v.data()), v.size(),
                             key.data(), key.size(), 0, nullptr) != RdKafka::ERR_NO_ERROR) {
        return false;
      }
    }
    return producer_->flush(30000) == RdKafka::ERR_NO_ERROR;
  }
  bool abort() {
    std::unique_ptr<RdKafka::Error> e(producer_->abort_transaction(30000));
    open_ = false;
    return e == nullptr;
  }
  bool commit() {
    std::unique_ptr<RdKafka::Error> e(producer_->commit_transaction(30000));
    open_ = false;
    return e == nullptr;
  }

 private:
  std::string topic_;
  std::unique_ptr<RdKafka::Producer> producer_;
  bool initialized_ = false;
  bool open_ = false;
};


}  // namespace caselink::testing

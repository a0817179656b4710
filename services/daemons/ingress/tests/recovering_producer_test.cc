// Issue 13 #3: a producer that librdkafka declared fatally broken is replaced, and readiness
// says so while there is no usable producer. The fatal error is injected through the
// ProducerPort seam (the real broker cannot produce librdkafka's fatal idempotence error on
// demand).
#include <gtest/gtest.h>

#include <atomic>

#include "services/daemons/ingress/recovering_producer.h"

namespace caselink::ingress {
namespace {

struct FakePort final : ProducerPort {
  explicit FakePort(int id) : id(id) {}
  Status send_async(const OutgoingRecord& record, kafka::DeliveryCallback done) override {
    if (!fatal.empty()) {
      done(Error::unavailable("fatal: " + fatal));
      return Status::success();
    }
    ++sent;
    done(kafka::Delivery{record.topic, id, sent});
    return Status::success();
  }
  std::string fatal_error() const override { return fatal; }
  bool broker_connected() const override { return connected; }
  Status flush(std::chrono::milliseconds) override { return Status::success(); }

  int id;
  std::string fatal;
  bool connected = true;
  int64_t sent = 0;
};

class RecoveringProducerTest : public ::testing::Test {
 protected:
  RecoveringProducer::Factory factory() {
    return [this]() -> Result<std::unique_ptr<ProducerPort>> {
      if (refuse_creation) {
        return Error::unavailable("cannot create (test)");
      }
      auto port = std::make_unique<FakePort>(static_cast<int>(made.size()) + 1);
      made.push_back(port.get());
      return std::unique_ptr<ProducerPort>(std::move(port));
    };
  }
  // Sends one record and returns the partition (= producer id) it was stored through, or -1.
  int send(RecoveringProducer& producer) {
    int partition = -1;
    Status queued = producer.send_async(OutgoingRecord{"t", "k", "v", {}}, [&](Result<kafka::Delivery> d) {
      partition = d.ok() ? d->partition : -1;
    });
    return queued.ok() ? partition : -2;
  }

  std::vector<FakePort*> made;  // owned by the RecoveringProducer
  bool refuse_creation = false;
};

TEST_F(RecoveringProducerTest, ReplacesAFatallyBrokenProducer) {
  RecoveringProducer producer(factory());
  ASSERT_TRUE(producer.start().ok());
  EXPECT_EQ(send(producer), 1);
  made[0]->fatal = "idempotence state lost";
  EXPECT_EQ(send(producer), 2) << "sent through a new producer, not the broken one";
  EXPECT_EQ(producer.generation(), 2);
  EXPECT_TRUE(producer.health().ready);
}

TEST_F(RecoveringProducerTest, ReadinessIsHonestAndRecoversWithoutTraffic) {
  RecoveringProducer producer(factory());
  ASSERT_TRUE(producer.start().ok());
  EXPECT_TRUE(producer.health().ready);
  made[0]->connected = false;
  ProducerHealth down = producer.health();
  EXPECT_FALSE(down.ready);
  EXPECT_FALSE(down.broker_connected);
  made[0]->connected = true;

  // Broken, and no replacement can be made: not ready, and sends are refused as unavailable.
  refuse_creation = true;
  made[0]->fatal = "fenced";
  ProducerHealth broken = producer.health();
  EXPECT_FALSE(broken.ready);
  EXPECT_NE(broken.reason.find("fenced"), std::string::npos) << broken.reason;
  EXPECT_EQ(send(producer), -2);
  EXPECT_FALSE(producer.health().ready);

  // A readiness probe alone makes the replacement once creation works again.
  refuse_creation = false;
  EXPECT_TRUE(producer.health().ready);
  EXPECT_EQ(producer.generation(), 2);
  EXPECT_EQ(send(producer), 2);
}

}  // namespace
}  // namespace caselink::ingress

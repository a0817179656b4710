// The handler seam (record_handler.h, decode.h, dlq.h) builds and links without librdkafka:
// this test's target links caselink_handler only, and rdkafkacpp.h must not come in through it.
#include "services/lib/kafka/decode.h"
#include "services/lib/kafka/record_handler.h"

#ifdef _RDKAFKACPP_H_
#error "the handler seam includes rdkafkacpp.h: pure handler libraries would need librdkafka"
#endif

#include <gtest/gtest.h>

namespace caselink::kafka {
namespace {

class Refusing final : public RecordHandler {
 public:
  HandlerResult handle(const ConsumedRecord& record) override {
    auto decoded = decode_record(record);
    if (!decoded.ok()) {
      return refuse(decoded.error());
    }
    return HandlerResult::emit({});
  }
};

TEST(HandlerSeam, AHandlerBuildsAndDecodesWithoutTheKafkaClient) {
  Refusing handler;
  ConsumedRecord tombstone;
  tombstone.topic = "t";
  const HandlerResult result = handler.handle(tombstone);
  ASSERT_TRUE(result.dead_letter.has_value());
  EXPECT_EQ(result.dead_letter->error_class, "envelope.undecodable");
}

}  // namespace
}  // namespace caselink::kafka

// The composition root's component order: started in order, stopped in reverse, a failed start
// stops what was started, and readiness is the first not-ready component's.
#include "services/lib/runtime/lifecycle.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace caselink::runtime {
namespace {

Component recording(const std::string& name, std::vector<std::string>& log, bool fail_start = false) {
  Component c;
  c.name = name;
  c.start = [&log, name, fail_start]() -> Status {
    log.push_back("start " + name);
    if (fail_start) {
      return Error::unavailable("cannot");
    }
    return Status::success();
  };
  c.stop = [&log, name] { log.push_back("stop " + name); };
  return c;
}

TEST(Lifecycle, StartsInOrderAndStopsInReverseOnce) {
  std::vector<std::string> log;
  std::vector<Component> components{recording("producer", log), recording("follower", log), recording("api", log)};
  {
    Lifecycle lifecycle(components);
    ASSERT_TRUE(lifecycle.start().ok());
    lifecycle.stop();
  }  // the destructor does not stop them a second time
  EXPECT_EQ(log, (std::vector<std::string>{"start producer", "start follower", "start api", "stop api",
                                           "stop follower", "stop producer"}));
}

TEST(Lifecycle, AFailedStartStopsTheStartedOnesAndNamesTheComponent) {
  std::vector<std::string> log;
  std::vector<Component> components{recording("producer", log), recording("follower", log, /*fail_start=*/true),
                                    recording("api", log)};
  Lifecycle lifecycle(components);
  Status started = lifecycle.start();
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("follower"), std::string::npos) << started.error().message;
  EXPECT_EQ(log, (std::vector<std::string>{"start producer", "start follower", "stop producer"}));
}

TEST(Lifecycle, ReadyWhenEveryComponentIsElseTheFirstReason) {
  bool follower_ready = false;
  std::vector<Component> components(3);
  components[0].name = "no readiness";
  components[1].name = "follower";
  components[1].readiness = [&] { return http::ReadyState{follower_ready, "case state not caught up"}; };
  components[2].name = "api";
  components[2].readiness = [] { return http::ReadyState{false, "api not listening"}; };
  Lifecycle lifecycle(components);
  EXPECT_EQ(lifecycle.readiness().reason, "case state not caught up");
  follower_ready = true;
  EXPECT_EQ(lifecycle.readiness().reason, "api not listening");
  components[2].readiness = nullptr;
  EXPECT_TRUE(lifecycle.readiness().ready);
}

TEST(StopWaiter, ReturnsTheFailureOfAComponentOrNothingOnASignal) {
  std::atomic<bool> signal{false};
  StopWaiter failed(signal);
  std::thread loop([&] { failed.fail(Error::invalid("librdkafka refused the configuration")); });
  std::optional<Error> failure = failed.wait();
  loop.join();
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->message, "librdkafka refused the configuration");

  signal.store(true);
  StopWaiter signalled(signal);
  EXPECT_FALSE(signalled.wait().has_value());
}

}  // namespace
}  // namespace caselink::runtime

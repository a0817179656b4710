// The main of every caselink_test binary (cmake/caselink.cmake): GoogleTest's own main, except
// that a run in which a test skipped (GTEST_SKIP, e.g. no CASELINK_KAFKA_BOOTSTRAP) and none failed exits
// with 77, which ctest reports as skipped (SKIP_RETURN_CODE) instead of passed.
//
// Why not ctest's SKIP_REGULAR_EXPRESSION on "[  SKIPPED ]": ctest checks it before the exit
// code, so a binary in which one test failed and another skipped would show as skipped and hide
// the failure. Here a failure always wins.

#include <gtest/gtest.h>

namespace {

// The same code the shell tests use (tests/contract, tests/e2e).
constexpr int kSkipExitCode = 77;

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const int status = RUN_ALL_TESTS();
  const ::testing::UnitTest& run = *::testing::UnitTest::GetInstance();
  if (status != 0 || run.failed_test_count() > 0) {
    return status != 0 ? status : 1;
  }
  return run.skipped_test_count() > 0 ? kSkipExitCode : 0;
}

#include <gtest/gtest.h>

#include "taskfarm/backoff.hpp"

namespace taskfarm {
namespace {

using std::chrono::microseconds;

TEST(Backoff, SpinsThenYieldsThenSleepsWithACappedDoubling) {
  Backoff b(Backoff::Limits{2, 3, microseconds(5), microseconds(100)});
  EXPECT_EQ(b.sleep_for_call(0), microseconds(0));
  EXPECT_EQ(b.sleep_for_call(4), microseconds(0));
  EXPECT_EQ(b.sleep_for_call(5), microseconds(5));
  EXPECT_EQ(b.sleep_for_call(6), microseconds(10));
  EXPECT_EQ(b.sleep_for_call(7), microseconds(20));
  EXPECT_EQ(b.sleep_for_call(10), microseconds(100));
  EXPECT_EQ(b.sleep_for_call(1000000), microseconds(100));
}

}  // namespace
}  // namespace taskfarm

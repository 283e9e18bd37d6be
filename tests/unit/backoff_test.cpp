#include <gtest/gtest.h>

#include "taskfarm/backoff.hpp"

namespace taskfarm {
namespace {

using std::chrono::microseconds;

TEST(Backoff, SpinsThenYieldsThenSleepsWithACappedDoubling) {
  Backoff b(Backoff::Limits{microseconds(10), microseconds(100), microseconds(5), microseconds(70)});
  EXPECT_EQ(b.action(microseconds(0), 0), microseconds(0));
  EXPECT_EQ(b.action(microseconds(9), 0), microseconds(0));
  EXPECT_EQ(b.action(microseconds(10), 0), microseconds(-1));
  EXPECT_EQ(b.action(microseconds(99), 0), microseconds(-1));
  EXPECT_EQ(b.action(microseconds(100), 0), microseconds(5));
  EXPECT_EQ(b.action(microseconds(200), 1), microseconds(10));
  EXPECT_EQ(b.action(microseconds(300), 3), microseconds(40));
  EXPECT_EQ(b.action(microseconds(400), 4), microseconds(70));
  EXPECT_EQ(b.action(microseconds(400000), 1000), microseconds(70));
}

}  // namespace
}  // namespace taskfarm

#include <gtest/gtest.h>

#include "core/backoff.hpp"

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

TEST(Backoff, CountsTheIdleStretchesItTimed) {
  Backoff backoff;
  backoff.reset();
  EXPECT_EQ(backoff.idle_s(), 0);  // never idle
  for (int i = 0; i < 3; ++i) backoff.pause();
  backoff.reset();
  EXPECT_EQ(backoff.idle_s(), 0);  // a few probes: not timed
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(20)) backoff.pause();
  backoff.reset();
  EXPECT_GT(backoff.idle_s(), 0.015);
  EXPECT_LT(backoff.idle_s(), 5.0);
}

}  // namespace
}  // namespace taskfarm

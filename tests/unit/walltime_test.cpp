#include <gtest/gtest.h>

#include "test_support.hpp"

#include <cstdlib>

#include "core/walltime.hpp"
#include "taskfarm/error.hpp"

namespace taskfarm {

TEST(Walltime, WithoutAnEndItNeverCuts) {
  WalltimeGuard guard(std::nullopt, 5.0);
  EXPECT_FALSE(guard.active());
  EXPECT_FALSE(guard.cut(1e12));
}

TEST(Walltime, CutsOnceLessThanTheMarginIsLeft) {
  WalltimeGuard guard(1000.0, 2.0);
  EXPECT_FALSE(guard.cut(997.9));
  ASSERT_TRUE(guard.cut(998.5));
  EXPECT_DOUBLE_EQ(*guard.cut(998.5), 1.5);
  EXPECT_DOUBLE_EQ(*guard.cut(2000), 0.0);  // past the end
}

TEST(Walltime, DefaultMarginIsThe90thPercentileOnceTwentyTasksFinished) {
  WalltimeGuard guard(1000.0, std::nullopt);
  for (int i = 1; i < 20; ++i) guard.observe(i);
  EXPECT_EQ(guard.margin_s(), 0);  // 19 tasks: too few to judge
  EXPECT_FALSE(guard.cut(999.9));
  guard.observe(20);
  EXPECT_DOUBLE_EQ(guard.margin_s(), 18);  // 1..20: the 18th of 20
  EXPECT_TRUE(guard.cut(1000 - 17.5));
  EXPECT_FALSE(guard.cut(1000 - 18.5));
  for (int i = 0; i < 10000; ++i) guard.observe(1);  // the recent tasks count
  EXPECT_DOUBLE_EQ(guard.margin_s(), 1);
}

TEST(Walltime, EndTimeIsEpochSecondsOrPlusSeconds) {
  EXPECT_DOUBLE_EQ(parse_end_time("1800000000", 5), 1800000000);
  EXPECT_DOUBLE_EQ(parse_end_time("+6", 100), 106);
  EXPECT_DOUBLE_EQ(parse_end_time("+0.5", 100), 100.5);
  for (const char* bad : {"", "+", "soon", "-5", "+-5", "12:00", "1e99"})
    EXPECT_THROW(parse_end_time(bad, 0), UsageError) << bad;
}

TEST(Walltime, AnEndTimeLongPastIsAUsageErrorThatGivesItAsADate) {
  const std::string error = testing::usage_error_of([] { parse_end_time("1000", 1800000000); });
  EXPECT_EQ(error, "--end-time: 1000 is 1970-01-01 00:16:40 UTC, in the past (now: 2027-01-15 08:00:00 UTC)");
  // Within the last minute: the clocks of the ranks may differ; the guard stops at once.
  EXPECT_DOUBLE_EQ(parse_end_time("1799999950", 1800000000), 1799999950);
  EXPECT_THROW(parse_end_time("1799999930", 1800000000), UsageError);
}

TEST(Walltime, SlurmEndTimeFromTheEnvironment) {
  ::setenv("SLURM_JOB_END_TIME", "1800000123", 1);
  std::string source;
  EXPECT_EQ(slurm_job_end_time(source), 1800000123.0);
  EXPECT_EQ(source, "SLURM_JOB_END_TIME");
  ::unsetenv("SLURM_JOB_END_TIME");
}

}  // namespace taskfarm

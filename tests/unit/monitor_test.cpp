// Progress lines and the report's bounded task timeline.

#include <gtest/gtest.h>

#include "core/monitor.hpp"

namespace taskfarm {
namespace {

TEST(Progress, FormatsCountsRateEtaAndWorkers) {
  ProgressState s;
  s.done = 250;
  s.failed = 0;
  s.total = 1000;
  s.busy_workers = 3;
  s.workers = 4;
  EXPECT_EQ(Progress::format(s, 25.0), "250/1000 25.0% | 25.0 tasks/s | ETA 0:00:30 | 3/4 workers busy | 0 failed");
  s.total.reset();
  EXPECT_EQ(Progress::format(s, 0.0), "250 | 0.0 tasks/s | ETA ? | 3/4 workers busy | 0 failed");
}

TEST(Progress, LogModeWritesOnlyWhenDue) {
  std::vector<std::string> lines;
  Progress progress(ProgressMode::log, 10, [&](std::string_view t) { lines.emplace_back(t); });
  ProgressState s;
  s.total = 100;
  for (double t : {1.0, 5.0, 10.5, 12.0, 20.0, 21.0}) {
    s.elapsed_s = t;
    s.done = static_cast<std::uint64_t>(t);
    progress.update(s);
  }
  ASSERT_EQ(lines.size(), 2u);  // the first after 5 s, not 10; then at 20 (10 s later)
  EXPECT_EQ(lines[0].rfind("progress: 5/100 5.0% |", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("progress: 20/100 20.0% |", 0), 0u) << lines[1];
  progress.finish();  // log mode: nothing to close
  EXPECT_EQ(lines.size(), 2u);
  std::vector<std::string> none;
  Progress silent(ProgressMode::none, 1, [&](std::string_view t) { none.emplace_back(t); });
  silent.update(s);
  EXPECT_TRUE(none.empty());
}

TEST(Progress, AShortIntervalAlsoTimesTheFirstLine) {
  std::vector<std::string> lines;
  Progress progress(ProgressMode::log, 2, [&](std::string_view t) { lines.emplace_back(t); });
  ProgressState s;
  for (double t : {1.0, 2.5, 3.0, 4.6}) {
    s.elapsed_s = t;
    progress.update(s);
  }
  EXPECT_EQ(lines.size(), 2u);  // at 2.5 and 4.6
}

TEST(Progress, AutoIsABarOnATerminalOnly) {
  EXPECT_EQ(parse_progress_mode("auto", true), ProgressMode::bar);
  EXPECT_EQ(parse_progress_mode("auto", false), ProgressMode::log);
  EXPECT_EQ(parse_progress_mode("none", true), ProgressMode::none);
}

TEST(Timeline, StaysBoundedAndEvenlySpreadOverIds) {
  Timeline timeline(64, 10);
  for (std::uint64_t id = 0; id < 100000; ++id)
    if (timeline.wants(id)) timeline.add(TaskSample{id, 1, 0, 1, true});
  EXPECT_LE(timeline.samples().size(), 64u);
  EXPECT_GE(timeline.samples().size(), 32u);
  // Every sampled ID shares one stride, and the sample spans the whole ID range.
  std::uint64_t max_id = 0;
  for (const auto& s : timeline.samples()) max_id = std::max(max_id, s.id);
  EXPECT_GT(max_id, 90000u);
  for (int i = 0; i < 100000; ++i) timeline.completed(i * 0.01, static_cast<std::uint64_t>(i));
  EXPECT_LT(timeline.completions().size(), 20u);
  timeline.completed(1000.5, 100000, true);
  EXPECT_EQ(timeline.completions().back().second, 100000u);
}

}  // namespace
}  // namespace taskfarm

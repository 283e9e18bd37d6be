#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "master/report.hpp"

namespace taskfarm {
namespace {

RunReport sample() {
  RunReport r;
  r.job = "square";
  r.status = RunStatus::complete;
  r.ranks = 3;
  r.workers = 2;
  r.tasks_total = r.tasks_done = 10;
  r.elapsed_s = 2.0;
  r.per_worker = {WorkerReport{1, 6, 0, 3.0, 0.5, 4, 1.0}, WorkerReport{2, 4, 0, 1.0, 1.0, 4, 0.5}};
  return r;
}

TEST(Report, DerivedFigures) {
  const RunReport r = sample();
  EXPECT_DOUBLE_EQ(r.tasks_per_s(), 5.0);
  EXPECT_DOUBLE_EQ(r.total_task_s(), 4.0);
  EXPECT_DOUBLE_EQ(r.max_task_s(), 1.0);
  EXPECT_DOUBLE_EQ(r.imbalance(), 1.5);  // max busy 3 / mean busy 2
}

TEST(Report, JsonHasTheDocumentedFields) {
  const auto j = to_json(sample());
  for (const char* key : {"job", "ranks", "workers", "tasks_total", "tasks_done", "tasks_failed", "elapsed_s",
                          "tasks_per_s", "per_worker", "imbalance", "total_task_s", "max_task_s"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["per_worker"][1]["rank"], 2);
  EXPECT_EQ(j["per_worker"][0]["tasks"], 6);
  EXPECT_DOUBLE_EQ(j["per_worker"][0]["busy_s"].get<double>(), 3.0);
}

TEST(Report, SummaryIsOneLineWithTheCounts) {
  const std::string line = summary_line(sample());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find("10 done, 0 failed of 10"), std::string::npos) << line;
  EXPECT_NE(line.find("tasks per worker: 1:6 2:4"), std::string::npos) << line;
}

TEST(Report, FileIsWrittenWhole) {
  const std::string path = ::testing::TempDir() + "taskfarm_report_test.json";
  write_report_file(sample(), path);
  std::ifstream in(path);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["tasks_done"], 10);
  std::remove(path.c_str());
}

TEST(Report, AWriteThatFailsLeavesTheEarlierFileWholeAndSaysSo) {
  // The fault: the temporary file is /dev/full, so writing it fails as on a full disk.
  // Written in place, the report would be cut short; through the temporary file and a
  // rename, the earlier report stays as it was.
  const std::string path = ::testing::TempDir() + "taskfarm_report_fault.json";
  const std::string earlier = "{\"tasks_done\": 3}\n";
  std::ofstream(path) << earlier;
  std::remove((path + ".tmp").c_str());
  ASSERT_EQ(::symlink("/dev/full", (path + ".tmp").c_str()), 0);
  RunReport report = sample();
  report.failed_tasks.assign(20000, FailedTask{1, 3, std::string(100, 'x'), "error"});  // more than a buffer
  EXPECT_THROW(write_report_file(report, path), std::runtime_error);
  std::ifstream in(path);
  const std::string now((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(now, earlier);
  std::remove((path + ".tmp").c_str());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace taskfarm

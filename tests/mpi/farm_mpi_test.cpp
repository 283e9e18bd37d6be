// The farm across real ranks: every task runs exactly once with the right result, at
// every rank count (CTest runs this program at 1, 2, 3, 5 and 8 ranks).

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/mpi/communicator.hpp>

#include "api/farm.hpp"
#include "core/clock.hpp"
#include "core/sink.hpp"
#include "resume/output_dir.hpp"
#include "test_support.hpp"

namespace taskfarm {
namespace {

struct FarmRun {
  bool is_master;
  RunReport report;
  std::string output;
};

FarmRun run_on_all_ranks(const JobRoles& job, const Config& config) {
  // A private communicator per run, so no message of one test can reach another.
  boost::mpi::communicator comm(boost::mpi::communicator(), boost::mpi::comm_duplicate);
  Channel channel(comm);
  StringSink sink;
  Config profiled = config;
  profiled.profile = profile_run(config, job, comm.size(), ranks_outnumber_cores());
  const auto report = run_this_rank(channel, job, job.source->open(), profiled, RunPlan{}, sink);
  return FarmRun{report.has_value(), report.value_or(RunReport{}), sink.text};
}

FarmRun run_command(const std::vector<std::string>& args) {
  CommandLine cl = testing::parse(args);
  return run_on_all_ranks(cl.job, cl.config);
}

void expect_square_exact(const FarmRun& run, std::uint64_t tasks, std::uint64_t seed) {
  if (!run.is_master) return;
  EXPECT_EQ(testing::sorted_lines(run.output), testing::expected_square_lines(tasks, seed));
  EXPECT_EQ(run.report.tasks_total, tasks);
  EXPECT_EQ(run.report.tasks_done, tasks);
  EXPECT_EQ(run.report.tasks_failed, 0u);
  EXPECT_EQ(run.report.status, RunStatus::complete);
  std::uint64_t per_worker_sum = 0;
  for (const auto& w : run.report.per_worker) per_worker_sum += w.tasks;
  EXPECT_EQ(per_worker_sum, tasks);
}

TEST(Farm, SquareMatchesSerialComputation) {
  expect_square_exact(run_command({"square", "--tasks", "5000", "--seed", "7"}), 5000, 7);
}

TEST(Farm, SquareOneTaskPerMessage) {
  expect_square_exact(run_command({"--batch", "1", "--window", "1", "square", "--tasks", "777", "--seed", "3"}),
                      777, 3);
}

TEST(Farm, OneTaskBatchesForOneWorkerShareAMessage) {
  // Each refill of a worker's window is one message, however many batches it holds.
  const std::uint64_t tasks = 20000;
  const FarmRun run = run_command({"--batch", "1", "square", "--tasks", std::to_string(tasks), "--seed", "5"});
  expect_square_exact(run, tasks, 5);
  // Sends and replies together: one message per batch would be at least `tasks`.
  if (run.is_master && run.report.workers > 0) {
    EXPECT_LT(run.report.master_messages, tasks / 4);
  }
}

TEST(Farm, SquareLargeBatchesAndDeepWindow) {
  expect_square_exact(run_command({"--batch", "1000", "--window", "16", "square", "--tasks", "20011", "--seed", "11"}),
                      20011, 11);
}

TEST(Farm, ZeroTasksEndCleanly) {
  const FarmRun run = run_command({"square", "--tasks", "0", "--seed", "1"});
  if (!run.is_master) return;
  EXPECT_EQ(run.output, "");
  EXPECT_EQ(run.report.tasks_total, 0u);
  EXPECT_EQ(run.report.status, RunStatus::complete);
}

TEST(Farm, FewerTasksThanWorkers) {
  expect_square_exact(run_command({"square", "--tasks", "2", "--seed", "5"}), 2, 5);
}

TEST(Farm, SleepJobRunsEveryTaskOnce) {
  const FarmRun run = run_command({"sleep", "--tasks", "200", "--mean-us", "50", "--dist", "pareto", "--seed", "2"});
  if (!run.is_master) return;
  EXPECT_EQ(testing::sorted_ids(run.output), testing::id_range(200));  // each task exactly once
  EXPECT_GT(run.report.total_task_s(), 0.0);
}

/// A shared scratch directory: rank 0 names it, every rank gets the name.
std::string shared_temp_dir(const std::string& what) {
  boost::mpi::communicator world;
  std::string dir;
  if (world.rank() == master_rank) {
    dir = ::testing::TempDir() + "taskfarm_" + what + "_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
  }
  boost::mpi::broadcast(world, dir, master_rank);
  return dir;
}

TEST(Farm, OutputDirectoryGetsEveryResultFromTheRanksThatRanTasks) {
  const std::string dir = shared_temp_dir("output");
  if (boost::mpi::communicator().rank() == master_rank) prepare_output_dir(dir, true);
  const FarmRun run = run_command({"--output", dir, "square", "--tasks", "3001", "--seed", "4"});
  if (!run.is_master) return;
  EXPECT_EQ(run.output, "");  // nothing through the master
  std::string written;
  for (const auto& w : run.report.per_worker) {
    std::ifstream in(temporary_part_path(dir, w.rank));
    ASSERT_TRUE(in) << "no part file for rank " << w.rank;
    written += std::string(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_EQ(testing::sorted_lines(written), testing::expected_square_lines(3001, 4));
  std::filesystem::remove_all(dir);
}

TEST(Farm, WordCountShufflesAmongTheWorkers) {
  const std::string dir = shared_temp_dir("wordcount");
  const std::string input = dir + "/input.txt", out = dir + "/out";
  std::map<std::string, std::uint64_t> expected;  // counted here, serially
  if (boost::mpi::communicator().rank() == master_rank) {
    std::ofstream text(input, std::ios::binary);
    for (int i = 0; i < 3000; ++i) {
      const std::string word = "w" + std::to_string(random_at(11, i) % 400);
      text << word << ((i % 7 == 0) ? "\n" : (i % 5 == 0) ? " \t " : " ");
      ++expected[word];
    }
    prepare_output_dir(out, true);
  }
  const FarmRun run = run_command({"--output", out, "wordcount", "--input", input, "--block-size", "97"});
  if (!run.is_master) return;
  std::map<std::string, std::uint64_t> counted;
  for (const auto& w : run.report.per_worker) {
    std::ifstream part(temporary_reduce_path(out, w.rank, 0));  // the reduce output
    std::string line, previous;
    while (std::getline(part, line)) {
      const auto tab = line.find('\t');
      const std::string word = line.substr(0, tab);
      EXPECT_LT(previous, word) << "part of rank " << w.rank << " is not sorted";
      EXPECT_EQ(counted.count(word), 0u) << word << " in two parts";
      counted[word] = std::stoull(line.substr(tab + 1));
      previous = word;
    }
  }
  EXPECT_EQ(counted, expected);
  std::uint64_t bytes_read = 0;
  for (const auto& w : run.report.per_worker) bytes_read += w.bytes_read;
  EXPECT_GE(bytes_read, std::filesystem::file_size(input));
  std::filesystem::remove_all(dir);
}

/// Fails every task whose ID is a multiple of 5, on every rank.
class FailingJob final : public JobSource, public Kernel {
 public:
  explicit FailingJob(std::uint64_t tasks) : tasks_(tasks) {}
  JobRoles roles() {
    JobRoles roles;
    roles.source = this;
    roles.kernel = this;
    return roles;
  }
  std::unique_ptr<TaskSource> open() override {
    struct Source final : TaskSource {
      std::uint64_t left;
      explicit Source(std::uint64_t n) : left(n) {}
      std::optional<std::uint64_t> size() const override { return std::nullopt; }  // streamed
      bool next(std::string& payload) override {
        if (left == 0) return false;
        payload = std::to_string(--left);
        return true;
      }
    };
    return std::make_unique<Source>(tasks_);
  }
  std::string describe(std::string_view payload) const override { return std::string(payload); }
  nlohmann::json parameters() const override { return nlohmann::json::object(); }
  void run(TaskContext& task) override {
    std::string& out = *task.out;
    if (task.id % 5 == 0) {
      out += "partial output that must not survive\n";
      throw std::runtime_error("task " + std::to_string(task.id) + " refused");
    }
    out += std::to_string(task.id) + "\n";
  }

 private:
  std::uint64_t tasks_;
};

TEST(Farm, TasksThatFailTwiceSucceedOnTheThirdAttempt) {
  const FarmRun run = run_command({"--retries", "2", "sleep", "--tasks", "60", "--mean-us", "20", "--fail-every", "4",
                                   "--fail-attempts", "2"});
  if (!run.is_master) return;
  EXPECT_EQ(run.report.tasks_done, 60u);
  EXPECT_EQ(run.report.tasks_failed, 0u);
  EXPECT_EQ(run.report.status, RunStatus::complete);
  EXPECT_EQ(testing::sorted_ids(run.output), testing::id_range(60));  // each task exactly once
  std::uint64_t failed_attempts = 0;
  for (const auto& w : run.report.per_worker) failed_attempts += w.failed;
  EXPECT_EQ(failed_attempts, 30u);  // 15 tasks, 2 failed attempts each
}

TEST(Farm, FailedTasksAreCountedAndTheRestDone) {
  constexpr std::uint64_t tasks = 103;
  FailingJob job(tasks);
  Config config;
  config.job = "failing";
  const FarmRun run = run_on_all_ranks(job.roles(), config);
  if (!run.is_master) return;
  const std::uint64_t failures = (tasks + 4) / 5;
  EXPECT_EQ(run.report.tasks_failed, failures);
  ASSERT_EQ(run.report.failed_tasks.size(), failures);
  for (const auto& f : run.report.failed_tasks) {
    EXPECT_EQ(f.attempts, 3u);  // the first run and the default 2 retries
    EXPECT_EQ(f.error, "task " + std::to_string(f.id) + " refused");
  }
  EXPECT_EQ(run.report.tasks_done, tasks - failures);
  EXPECT_EQ(run.report.status, RunStatus::failed);
  EXPECT_EQ(exit_code_for(run.report), ExitCode::tasks_failed);
  std::vector<std::string> expected;
  for (std::uint64_t id = 0; id < tasks; ++id)
    if (id % 5 != 0) expected.push_back(std::to_string(id));
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(testing::sorted_lines(run.output), expected);
}

}  // namespace
}  // namespace taskfarm

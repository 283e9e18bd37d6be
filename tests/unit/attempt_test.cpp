// The worker's attempt (attempt.hpp): what a failed attempt wrote or submitted is taken
// back, by marks, whether it failed by throwing, permanently, or after some of its
// submissions went ahead; and the kernel's view of it, Task<T>.

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <taskfarm/taskfarm.hpp>

#include "worker/attempt.hpp"

namespace taskfarm {
namespace {

enum Script : std::uint32_t { succeed, fail, fail_for_good, truncate };

/// Through the library's own adapter: writes "<id>\n" and submits id+100 for each task,
/// then does what the task says.
auto scripted_kernel() {
  auto kernel = [](const std::uint32_t& script, Task<std::uint32_t>& task) {
    task.out() << task.id() << '\n';
    task.submit(static_cast<std::uint32_t>(task.id() + 100));
    if (script == fail) throw std::runtime_error("thrown");
    if (script == fail_for_good) throw PermanentError("for good");
  };
  return detail::LineKernel<std::uint32_t, decltype(kernel)>(kernel);
}

/// A kernel that clears the whole output buffer, earlier tasks' output included.
class Truncating final : public Kernel {
 public:
  void run(TaskContext& task) override { task.out->clear(); }
};

/// Task `id` with the payload `script`.
struct Scripted {
  std::string payload;
  TaskView task;
  Scripted(std::uint64_t id, Script script) {
    detail::encode(static_cast<std::uint32_t>(script), payload);
    task = TaskView{id, 0, payload};
  }
};

/// Each submitted task's value, decoded.
std::vector<std::uint32_t> submitted(const Submissions& s) {
  std::vector<std::uint32_t> values;
  std::string_view in = s.encoded();
  while (!in.empty()) {
    wire::get<std::uint32_t>(in);  // its length
    values.push_back(wire::get<std::uint32_t>(in));
  }
  return values;
}

TEST(Attempt, ASuccessfulAttemptKeepsItsOutputAndSubmissions) {
  Submissions s;
  Attempt attempt(&s);
  auto kernel = scripted_kernel();
  std::string out = "before\n";
  EXPECT_FALSE(attempt.run(kernel, Scripted(7, succeed).task, out));
  EXPECT_EQ(out, "before\n7\n");
  EXPECT_EQ(submitted(s), (std::vector<std::uint32_t>{107}));
}

TEST(Attempt, AFailedAttemptLeavesNothingBehind) {
  Submissions s;
  Attempt attempt(&s);
  auto kernel = scripted_kernel();
  std::string out;
  EXPECT_FALSE(attempt.run(kernel, Scripted(1, succeed).task, out));
  const auto thrown = attempt.run(kernel, Scripted(2, fail).task, out);
  ASSERT_TRUE(thrown);
  EXPECT_EQ(thrown->status, TaskStatus::failed);
  EXPECT_EQ(thrown->message, "thrown");
  const auto permanent = attempt.run(kernel, Scripted(3, fail_for_good).task, out);
  ASSERT_TRUE(permanent);
  EXPECT_EQ(permanent->status, TaskStatus::failed_for_good);
  EXPECT_EQ(out, "1\n");
  EXPECT_EQ(submitted(s), (std::vector<std::uint32_t>{101}));
  EXPECT_EQ(s.count(), 1u);
}

TEST(Attempt, AKernelThatCutsTheBufferFails) {
  Attempt attempt;
  Truncating kernel;
  std::string out = "earlier tasks' output\n";
  const auto failure = attempt.run(kernel, TaskView{4, 0, ""}, out);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->message, "the kernel truncated its output buffer");
}

TEST(Attempt, AFailedAttemptTakesBackWhatWentAheadThroughTheNextHead) {
  Submissions s;
  std::vector<std::string> chunks;
  s.stream_ahead(1, [&](std::string chunk) { chunks.push_back(std::move(chunk)); });  // every task goes ahead
  Attempt attempt(&s);
  auto kernel = scripted_kernel();
  std::string out;
  EXPECT_FALSE(attempt.run(kernel, Scripted(1, succeed).task, out));
  EXPECT_TRUE(attempt.run(kernel, Scripted(2, fail).task, out));
  EXPECT_EQ(chunks.size(), 2u);  // the failed attempt's went ahead too
  std::string buf;
  ResultBatchWriter reply(buf);
  s.into_reply(reply);
  ResultBatchReader results(buf);
  ResultRun run{};
  while (results.next_run(run)) {
  }
  const Submitted carried = results.submissions();
  EXPECT_EQ(carried.head.count, 1u);  // of the two sent ahead, only the first counts
  EXPECT_EQ(carried.head.bytes, 8u);
  EXPECT_EQ(carried.count, 0u);
}

TEST(Attempt, TheKernelSeesItsTaskThroughTaskAndThisTask) {
  struct Probe final : Kernel {
    std::vector<std::string> seen;
    void run(TaskContext& task) override {
      Task<int> view(task);
      const TaskInfo info = this_task();
      seen.push_back(std::to_string(view.id()) + "/" + std::to_string(view.attempt()) + "/" +
                     std::to_string(info.id) + "/" + std::to_string(info.attempt) + "/" +
                     std::to_string(view.group().size()) + "/" + std::to_string(view.group().rank()));
      EXPECT_EQ(view.group().comm(), MPI_COMM_SELF);
    }
  } probe;
  Attempt attempt;
  std::string out;
  EXPECT_FALSE(attempt.run(probe, TaskView{5, 2, ""}, out));
  EXPECT_EQ(probe.seen, (std::vector<std::string>{"5/2/5/2/1/0"}));
}

TEST(Attempt, TaskSubmitWithoutAPlaceToSubmitFailsTheAttempt) {
  struct Submitter final : Kernel {
    void run(TaskContext& task) override {
      Task<int> view(task);
      view.submit(1);
    }
  } kernel;
  Attempt attempt;  // a job whose tasks submit none
  std::string out;
  const auto failure = attempt.run(kernel, TaskView{0, 0, ""}, out);
  ASSERT_TRUE(failure);
  EXPECT_NE(failure->message.find("nowhere to submit"), std::string::npos);
}

TEST(Attempt, AFoldsKernelCannotWriteLines) {
  auto kernel = [](const int& x, Task<int>& task) {
    task.out() << "a line among encoded results";
    return x;
  };
  detail::FoldKernel<int, decltype(kernel), int, std::plus<>> fold(kernel, std::plus<>{});
  std::string payload;
  detail::encode(1, payload);
  Attempt attempt;
  std::string out;
  const auto failure = attempt.run(fold, TaskView{0, 0, payload}, out);
  ASSERT_TRUE(failure);
  EXPECT_NE(failure->message.find("not for a fold"), std::string::npos);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace taskfarm

#include "worker/executor.hpp"

#include <stdexcept>

#include "core/clock.hpp"
#include "worker/batch_runner.hpp"

namespace taskfarm {

namespace {

// Storage kept for the next batches: a refill of up to --window's default of small
// batches, 256 KiB at most. (A larger batch's malloc is small beside its work.)
constexpr std::size_t max_spare_batches = 1024;
constexpr std::size_t max_spare_batch_bytes = 256;

/// One batch at a time, in the order they came: the queue of the sequential and group
/// executors. `Runner` is BatchRunner or GroupBatchRunner.
template <class Runner>
class InOrder final : public Executor {
 public:
  template <class... Args>
  explicit InOrder(Args&&... args) : runner_(std::forward<Args>(args)...) {}
  void add(std::string_view batch) override {
    std::string& held = queue_.emplace_back();
    if (!spare_.empty()) {
      held = std::move(spare_.back());
      spare_.pop_back();
    }
    held.assign(batch);
  }
  std::size_t held() const override { return queue_.size(); }
  ExecutorStep step(ResultBatchWriter& reply, time_point now, time_point answered_at, double) override {
    runner_.answered_at(answered_at);
    const double busy_s = runner_.run(queue_.front(), reply, now);  // the runner's readings serve here too
    if (spare_.size() < max_spare_batches && queue_.front().capacity() <= max_spare_batch_bytes)
      spare_.push_back(std::move(queue_.front()));
    queue_.pop_front();
    return ExecutorStep{1, busy_s, runner_.finished_at()};
  }
  std::size_t hold(ResultBatchWriter& reply) override {
    const std::size_t held = queue_.size();
    for (const std::string& batch : queue_) {
      TaskBatchReader tasks(batch);
      TaskView task{};
      while (tasks.next(task)) reply.add(task.id, TaskStatus::not_started, 0, {});
      reply.complete_batch();
    }
    queue_.clear();
    return held;
  }

 private:
  Runner runner_;
  std::deque<std::string> queue_;
  std::vector<std::string> spare_;  // the storage of batches run: no malloc per batch
};

class Slots final : public Executor {
 public:
  explicit Slots(AsyncSlots& job) : runner_(job) {}
  void add(std::string_view batch) override { runner_.add(std::string(batch)); }
  std::size_t held() const override { return runner_.batches(); }
  ExecutorStep step(ResultBatchWriter& reply, time_point, time_point, double wait_s) override {
    const time_point start = clock::now();
    const std::size_t finished = runner_.step(reply, wait_s);
    const time_point end = clock::now();
    return ExecutorStep{finished, std::chrono::duration<double>(end - start).count(), end};
  }
  std::size_t hold(ResultBatchWriter&) override {
    runner_.hold();  // the tasks not started finish at once, as not_started, in later steps
    return 0;
  }
  std::vector<std::pair<std::uint64_t, SpillFile>> take_outputs() override { return runner_.take_outputs(); }

 private:
  SlotRunner runner_;
};

}  // namespace

std::unique_ptr<Executor> make_executor(const RunProfile& profile, const JobRoles& job, std::string* side_output,
                                        Submissions* submitted, GroupLink* group) {
  switch (profile.executor) {
    case ExecutorKind::group:
      if (!group) throw std::logic_error("the group executor runs on a group's leader, which has a group link");
      return std::make_unique<InOrder<GroupBatchRunner>>(*job.kernel, *group, side_output, submitted, profile.limits);
    case ExecutorKind::slots:
      return std::make_unique<Slots>(*job.slots);
    case ExecutorKind::sequential:
      break;
  }
  return std::make_unique<InOrder<BatchRunner>>(*job.kernel, side_output, submitted, profile.limits);
}

}  // namespace taskfarm

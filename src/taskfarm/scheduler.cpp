#include "taskfarm/scheduler.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace taskfarm {

Scheduler::Scheduler(int workers, int window, BatchPolicy policy)
    : policy_(policy), load_(static_cast<std::size_t>(std::max(workers, 0))) {
  // Interleave credits so the first round gives every worker one batch before anyone
  // gets a second.
  for (int round = 0; round < window; ++round)
    for (int w = 0; w < workers; ++w) ready_.push_back(w);
}

std::optional<int> Scheduler::next_ready_worker() const {
  if (ready_.empty()) return std::nullopt;
  return ready_.front();
}

std::uint32_t Scheduler::next_batch_size(std::optional<std::uint64_t> undispatched) const {
  if (policy_.fixed > 0) return policy_.fixed;
  double size = 1;
  if (mean_task_s_ && *mean_task_s_ > 0) size = policy_.target_batch_s / *mean_task_s_;
  else if (mean_task_s_) size = policy_.max_batch;
  size = std::clamp(size, 1.0, static_cast<double>(policy_.max_batch));
  if (undispatched) {
    const double guided = std::ceil(static_cast<double>(*undispatched) / (2.0 * workers()));
    size = std::min(size, std::max(guided, 1.0));
  }
  return static_cast<std::uint32_t>(size);
}

void Scheduler::on_sent(int worker, std::uint32_t tasks) {
  assert(!ready_.empty() && ready_.front() == worker);
  ready_.pop_front();
  auto& w = load_[static_cast<std::size_t>(worker)];
  ++w.batches_in_flight;
  w.tasks_in_flight += tasks;
  tasks_in_flight_ += tasks;
}

void Scheduler::on_reply(int worker, const ReplySummary& reply) {
  auto& w = load_[static_cast<std::size_t>(worker)];
  const std::uint64_t tasks = reply.done + reply.failed;
  assert(reply.batches <= w.batches_in_flight && tasks <= w.tasks_in_flight);
  w.batches_in_flight -= reply.batches;
  w.tasks_in_flight -= tasks;
  tasks_in_flight_ -= tasks;
  w.tasks_done += reply.done;
  w.tasks_failed += reply.failed;
  w.busy_s += reply.busy_s;
  w.max_task_s = std::max(w.max_task_s, reply.max_task_s);
  ++w.replies;
  for (std::uint32_t i = 0; i < reply.batches; ++i) ready_.push_back(worker);
  if (tasks > 0) {
    // Exponential average: follows drifting task costs without jumping on one outlier.
    const double sample = reply.busy_s / static_cast<double>(tasks);
    mean_task_s_ = mean_task_s_ ? 0.75 * *mean_task_s_ + 0.25 * sample : sample;
  }
}
}  // namespace taskfarm

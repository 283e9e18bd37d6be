#include "master/scheduler.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace taskfarm {

namespace {
// Exponential averages follow drifting task costs without jumping on one outlier.
void average_into(std::optional<double>& mean, double sample) {
  mean = mean ? 0.75 * *mean + 0.25 * sample : sample;
}
// The worker replies when half of what it holds is done, so that half must cover the
// delay: twice the delay, and once more to spare.
constexpr double delays_held = 3;
}  // namespace

void RecentMax::add(double sample, double now_s) {
  if (now_s - start_s_ >= window_s) {
    previous_ = now_s - start_s_ < 2 * window_s ? current_ : 0;
    current_ = 0;
    start_s_ = now_s;
  }
  current_ = std::max(current_, sample);
}

Scheduler::Scheduler(int workers, int window, BatchPolicy policy)
    : policy_(policy),
      load_(static_cast<std::size_t>(std::max(workers, 0))),
      window_(static_cast<std::uint32_t>(std::max(window, 1))),
      queued_(load_.size(), 1),
      retired_(load_.size(), 0),
      alone_(load_.size(), 0),
      reply_at_s_(load_.size(), -1) {
  for (int w = 0; w < workers; ++w) ready_.push_back(w);
}

double Scheduler::prefetch_s(int worker) const {
  const WorkerLoad& w = load_[static_cast<std::size_t>(worker)];
  return std::clamp(delays_held * (w.round_trip_s.value() + w.turnaround_s.value()), policy_.prefetch_s,
                    std::max(policy_.prefetch_s, policy_.max_prefetch_s));
}

std::uint32_t Scheduler::batch_limit(int worker) const {
  // At least one batch per slot running and one at hand.
  const std::uint32_t floor = std::min(policy_.slots + 1, window_);
  if (!mean_task_s_) return floor;  // nothing measured yet: be conservative
  // From the batches about to be sent, not from past ones: when auto batches grow from
  // 1 task to thousands, a limit based on the old tiny batches would queue hundreds of
  // the new large ones.
  const double next_batch_s = next_batch_size(std::nullopt) * *mean_task_s_;
  if (next_batch_s <= 0) return window_;
  const double wanted = std::ceil(prefetch_s(worker) * policy_.slots / next_batch_s - 1e-9);  // 21.000000001 is 21
  return static_cast<std::uint32_t>(std::clamp(wanted, static_cast<double>(floor), static_cast<double>(window_)));
}

std::optional<int> Scheduler::next_ready_worker() {
  while (!ready_.empty()) {
    const int w = ready_.front();
    if (has_room(w)) return w;
    ready_.pop_front();  // the limit shrank since it was queued
    queued_[static_cast<std::size_t>(w)] = 0;
  }
  return std::nullopt;
}

std::size_t Scheduler::defer_front() {
  if (!ready_.empty()) {
    ready_.push_back(ready_.front());
    ready_.pop_front();
  }
  return ready_.size();
}

bool Scheduler::has_room(int worker) const {
  const auto i = static_cast<std::size_t>(worker);
  return !retired_[i] && !alone_[i] && load_[i].batches_in_flight < batch_limit(worker);
}

void Scheduler::make_ready_if_room(int worker) {
  const auto i = static_cast<std::size_t>(worker);
  if (!queued_[i] && has_room(worker)) {
    ready_.push_back(worker);
    queued_[i] = 1;
  }
}

std::uint32_t Scheduler::next_batch_size(std::optional<std::uint64_t> undispatched) const {
  if (policy_.fixed > 0) return policy_.fixed;
  // Each worker comes back for a batch once per batch's length: the more workers, the
  // longer batches must be for one master to keep them all fed.
  const double target_s = std::max(policy_.target_batch_s, workers() / policy_.master_batches_per_s);
  double size = 1;
  if (mean_task_s_ && *mean_task_s_ > 0) size = target_s / *mean_task_s_;
  else if (mean_task_s_) size = policy_.max_batch;
  size = std::clamp(size, 1.0, static_cast<double>(policy_.max_batch));
  if (undispatched) {
    const double guided = std::ceil(static_cast<double>(*undispatched) / (2.0 * workers()));
    size = std::min(size, std::max(guided, 1.0));
  }
  return static_cast<std::uint32_t>(size);
}

void Scheduler::on_sent(int worker, std::uint32_t tasks, double now_s) {
  assert(!ready_.empty() && ready_.front() == worker);
  ready_.pop_front();
  queued_[static_cast<std::size_t>(worker)] = 0;
  auto& w = load_[static_cast<std::size_t>(worker)];
  double& reply_at_s = reply_at_s_[static_cast<std::size_t>(worker)];
  if (now_s >= 0 && reply_at_s >= 0) {
    w.turnaround_s.add(now_s - reply_at_s, now_s);
    reply_at_s = -1;
  }
  ++w.batches_in_flight;
  w.tasks_in_flight += tasks;
  tasks_in_flight_ += tasks;
  make_ready_if_room(worker);  // to the back of the queue: round-robin
}

void Scheduler::on_reply(int worker, const ReplySummary& reply) {
  auto& w = load_[static_cast<std::size_t>(worker)];
  const std::uint64_t tasks = reply.done + reply.failed;
  const std::uint64_t back = tasks + reply.returned;
  assert(reply.batches <= w.batches_in_flight && back <= w.tasks_in_flight);
  w.batches_in_flight -= reply.batches;
  if (w.batches_in_flight == 0) alone_[static_cast<std::size_t>(worker)] = 0;
  w.tasks_in_flight -= back;
  tasks_in_flight_ -= back;
  w.tasks_done += reply.done;
  w.tasks_failed += reply.failed;
  w.busy_s += reply.busy_s;
  w.max_task_s = std::max(w.max_task_s, reply.max_task_s);
  ++w.replies;
  if (tasks > 0) average_into(mean_task_s_, reply.busy_s / static_cast<double>(tasks));
  make_ready_if_room(worker);
}

void Scheduler::on_round_trip(int worker, double round_trip_s, double now_s) {
  load_[static_cast<std::size_t>(worker)].round_trip_s.add(round_trip_s, now_s);
  reply_at_s_[static_cast<std::size_t>(worker)] = now_s;
  make_ready_if_room(worker);  // a slower path may allow more batches
}

void Scheduler::retire(int worker) {
  auto& w = load_[static_cast<std::size_t>(worker)];
  retired_[static_cast<std::size_t>(worker)] = 1;
  tasks_in_flight_ -= w.tasks_in_flight;
  w.tasks_in_flight = 0;
  w.batches_in_flight = 0;
}

}  // namespace taskfarm

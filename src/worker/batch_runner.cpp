#include "worker/batch_runner.hpp"

#include <algorithm>
#include <chrono>
#include <exception>

#include "core/clock.hpp"
#include "core/log.hpp"

namespace taskfarm {

double BatchRunner::run(std::string_view batch, ResultBatchWriter& reply, clock::time_point start) {
  TaskBatchReader tasks(batch);
  const TaskContext& task = attempt_.task();
  const bool with_data = side_output_ == nullptr;
  std::string& out = side_output_ ? *side_output_ : reply.out();
  const std::size_t batch_start = out.size();
  auto run_start = start;
  // Closes the open run as one timed run of tasks (see the class comment).
  auto close_run = [&] {
    const auto now = clock::now();
    const double run_s = std::chrono::duration<double>(now - run_start).count();
    run_start = now;
    reply.close_run(run_s, timing_.end_run(reply.run_count(), run_s));
  };
  while (attempt_.next(tasks)) {
    if (reply.run_open() && task.id != reply.run_next_id()) close_run();
    if (!reply.run_open()) reply.open_run(task.id, TaskStatus::ok, with_data);
    reply.begin_task();
    if (std::optional<KernelFailure> failure = attempt_.run(kernel_, out)) {
      close_run();  // the failed task's time goes to the tasks before it, if any
      reply.add(task.id, failure->status, 0, failure->message);
      continue;
    }
    reply.end_task();
    if (reply.run_count() >= timing_.run_size()) close_run();
  }
  if (reply.run_open()) close_run();
  if (side_output_) kernel_.end_batch(*side_output_, batch_start);
  reply.complete_batch();
  finished_at_ = run_start;  // the last run's end
  return std::chrono::duration<double>(finished_at_ - start).count();
}

double RunTiming::end_run(std::uint32_t tasks, double run_s) {
  if (tasks == 0) return 0;
  const double mean_s = run_s / tasks;
  double max_s = tasks == 1 ? run_s : mean_s;
  if (tasks > 1 && typical_s_ > 0 && mean_s > jump * typical_s_) {
    // One slow task among fast ones: the run's time less the others' typical time.
    max_s = run_s - (tasks - 1) * typical_s_;
    size_ = 1;  // time the next tasks one by one until they are fast again
    return max_s;
  }
  typical_s_ = typical_s_ > 0 ? (3 * typical_s_ + mean_s) / 4 : mean_s;
  if (run_s < target_run_s && size_ < max_run) size_ *= 2;
  else if (run_s > 4 * target_run_s && size_ > 1) size_ /= 2;
  return max_s;
}

void SlotRunner::add(std::string batch) {
  Held& held = batches_.emplace_back();
  held.tasks = std::move(batch);
  held.unstarted.emplace(held.tasks);
  held.unfinished = held.unstarted->size();
  held.results.resize(held.unfinished);
  held.ids.resize(held.unfinished);
}

std::size_t SlotRunner::step(ResultBatchWriter& reply, double wait_s) {
  // Tickets: the batch's serial number in the high 32 bits, the task's index in the low.
  for (std::size_t b = 0; b < batches_.size() && running_ < job_.slots(); ++b) {
    Held& held = batches_[b];
    TaskView task{};
    std::uint32_t index = 0;
    while (running_ < job_.slots() && held.next_unstarted(task, index)) {
      ++running_;
      job_.start(((front_serial_ + b) << 32) | index, task);
    }
  }
  if (running_ > 0) {
    finished_.clear();
    job_.reap(finished_, wait_s);
    for (auto& f : finished_) {
      Held& held = batches_[static_cast<std::size_t>((f.ticket >> 32) - front_serial_)];
      const auto index = static_cast<std::size_t>(f.ticket & 0xffffffffu);
      held.results[index] = std::move(f);
      --held.unfinished;
      --running_;
    }
  }
  std::size_t moved = 0;
  while (!batches_.empty() && batches_.front().unfinished == 0) {
    Held& held = batches_.front();
    for (std::size_t i = 0; i < held.results.size(); ++i) {
      FinishedTask& result = held.results[i];
      reply.add(held.ids[i], result.status, result.run_s, result.data);
      if (result.output.open()) outputs_.emplace_back(held.ids[i], std::move(result.output));
    }
    reply.complete_batch();
    batches_.pop_front();
    ++front_serial_;
    ++moved;
  }
  return moved;
}

void SlotRunner::hold() {
  for (Held& held : batches_) {
    TaskView task{};
    std::uint32_t index = 0;
    while (held.next_unstarted(task, index)) {
      held.results[index] = FinishedTask{0, TaskStatus::not_started, 0, {}, {}};
      --held.unfinished;
    }
  }
}

}  // namespace taskfarm

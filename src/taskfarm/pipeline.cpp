#include "taskfarm/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <exception>

#include "taskfarm/log.hpp"

namespace taskfarm {

TaskFeeder::TaskFeeder(std::unique_ptr<TaskSource> source, const JobSource& job, bool narrate)
    : source_(std::move(source)), job_(job), narrate_(narrate), size_(source_->size()) {}

std::uint32_t TaskFeeder::fill(TaskBatchWriter& batch, std::uint32_t max_tasks, int worker, int workers) {
  std::uint32_t added = 0;
  // Retries first, but never on the worker they just failed on, unless it is the only one.
  for (auto it = retries_.begin(); it != retries_.end() && added < max_tasks;) {
    if (it->failed_on == worker && workers > 1) {
      ++it;
      continue;
    }
    batch.add(it->id, it->payload, it->attempt);
    it = retries_.erase(it);
    ++added;
  }
  while (added < max_tasks && !source_done_ && !halted_) {
    if (!source_->next(payload_)) {
      source_done_ = true;
      break;
    }
    if (skip_ && skip_->contains(next_id_)) {
      ++next_id_;
      ++skipped_;
      continue;
    }
    if (narrate_) log::line("Put task " + job_.describe(payload_) + "...");
    batch.add(next_id_++, payload_);
    ++added;
  }
  return added;
}

void TaskFeeder::retry(const TaskView& task, int failed_on) {
  if (halted_) {
    ++dropped_retries_;
    return;
  }
  retries_.push_back(Retry{task.id, task.attempt + 1, std::string(task.payload), failed_on});
}

void TaskFeeder::halt() {
  halted_ = true;
  dropped_retries_ += retries_.size();
  retries_.clear();
}

std::optional<std::uint64_t> TaskFeeder::total() const {
  if (!size_) return std::nullopt;
  return std::max(*size_, next_id_);
}

std::optional<std::uint64_t> TaskFeeder::undispatched() const {
  if (!size_) return std::nullopt;
  return *size_ > next_id_ ? *size_ - next_id_ : 0;
}

void BatchRunner::run(std::string_view batch, ResultBatchWriter& reply) {
  using clock = std::chrono::steady_clock;
  TaskBatchReader tasks(batch);
  TaskView task{};
  // One clock read per task: the end of one task is the start of the next.
  auto start = clock::now();
  while (tasks.next(task)) {
    reply.begin(task.id);
    std::string& out = side_output_ ? *side_output_ : reply.out();
    const std::size_t mark = out.size();
    TaskStatus status = TaskStatus::ok;
    try {
      kernel_.run(task, out);
    } catch (const std::exception& e) {
      out.resize(mark);
      reply.out().append(e.what());
      status = TaskStatus::failed;
    } catch (...) {
      out.resize(mark);
      reply.out().append("the kernel threw an exception that is not a std::exception");
      status = TaskStatus::failed;
    }
    const auto end = clock::now();
    const double run_s = std::chrono::duration<double>(end - start).count();
    reply.end(status, run_s);
    start = end;
  }
  if (side_output_) kernel_.end_batch(*side_output_);
  reply.complete_batch();
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
    for (std::size_t i = 0; i < held.results.size(); ++i)
      reply.add(held.ids[i], held.results[i].status, held.results[i].run_s, held.results[i].data);
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
      held.results[index] = FinishedTask{0, TaskStatus::not_started, 0, {}};
      --held.unfinished;
    }
  }
}

void ResultCollector::consume(int worker, std::string_view reply, int worker_rank,
                              std::vector<FailedAttempt>& failures, std::vector<std::uint64_t>& done,
                              Timeline* timeline, double now_s) {
  ResultBatchReader results(reply);
  ReplySummary summary;
  summary.batches = results.header().batches_completed;
  summary.busy_s = results.header().busy_s;
  // The reply's tasks ran one after another and the last ended about when it was sent:
  // each task's end is found by walking back from the reply's arrival.
  double later_s = summary.busy_s;
  ResultView r{};
  while (results.next(r)) {
    if (r.status == TaskStatus::not_started) {
      ++summary.returned;
      continue;
    }
    if (run_times_) run_times_->observe(r.run_s);
    summary.max_task_s = std::max(summary.max_task_s, r.run_s);
    later_s -= r.run_s;
    if (timeline && timeline->wants(r.id)) {
      const double end = std::max(0.0, now_s - later_s);
      timeline->add(TaskSample{r.id, worker_rank, std::max(0.0, end - r.run_s), end, r.status == TaskStatus::ok});
    }
    if (handler_) handler_->deliver(r, sink_);
    else if (r.status == TaskStatus::ok) sink_.write(r.data);
    if (r.status == TaskStatus::ok) {
      ++summary.done;
      done.push_back(r.id);
    } else {
      ++summary.failed;
      std::string message = handler_ ? handler_->failure_message(r.data) : std::string(r.data);
      log::line("task " + std::to_string(r.id) + " failed on rank " + std::to_string(worker_rank) + ": " + message);
      failures.push_back(FailedAttempt{r.id, std::move(message)});
    }
  }
  done_ += summary.done;
  returned_ += summary.returned;
  scheduler_.on_reply(worker, summary);
}

void FailureHandler::on_failure(const FailedAttempt& failure, const std::vector<std::string_view>& batches,
                                int worker) {
  TaskView task{};
  bool found = false;
  for (std::string_view batch : batches) {
    TaskBatchReader tasks(batch);
    while (!found && tasks.next(task)) found = task.id == failure.id;
    if (found) break;
  }
  if (!found) throw std::logic_error("failed task " + std::to_string(failure.id) + " is not in its batches");
  if (task.attempt < retries_) {
    feeder_.retry(task, worker);
    return;
  }
  failed_.push_back(FailedTask{task.id, task.attempt + 1, job_.describe(task.payload), failure.message});
  if (halt_on_error_) {
    log::line("halting on error (--halt-on-error): no new tasks; waiting for the running ones");
    feeder_.halt();
  }
}

}  // namespace taskfarm

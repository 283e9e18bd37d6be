#include "taskfarm/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <exception>

#include "taskfarm/clock.hpp"
#include "taskfarm/log.hpp"

namespace taskfarm {

double BatchRunner::run(std::string_view batch, ResultBatchWriter& reply, clock::time_point start) {
  TaskBatchReader tasks(batch);
  const TaskContext& task = attempt_.task();
  const bool with_data = side_output_ == nullptr;
  std::string& out = side_output_ ? *side_output_ : reply.out();
  const std::size_t batch_start = out.size();
  auto group_start = start;
  // Closes the open run as one timed group of tasks (see the class comment).
  auto close_group = [&] {
    const auto now = clock::now();
    const double group_s = std::chrono::duration<double>(now - group_start).count();
    group_start = now;
    reply.close_run(group_s, timing_.end_group(reply.run_count(), group_s));
  };
  while (attempt_.next(tasks)) {
    if (reply.run_open() && task.id != reply.run_next_id()) close_group();
    if (!reply.run_open()) reply.open_run(task.id, TaskStatus::ok, with_data);
    reply.begin_task();
    if (std::optional<KernelFailure> failure = attempt_.run(kernel_, out)) {
      close_group();  // the failed task's time goes to the tasks before it, if any
      reply.add(task.id, failure->status, 0, failure->message);
      continue;
    }
    reply.end_task();
    if (reply.run_count() >= timing_.group_size()) close_group();
  }
  if (reply.run_open()) close_group();
  if (side_output_) kernel_.end_batch(*side_output_, batch_start);
  reply.complete_batch();
  finished_at_ = group_start;  // the last group's end
  return std::chrono::duration<double>(finished_at_ - start).count();
}

double GroupTiming::end_group(std::uint32_t tasks, double group_s) {
  if (tasks == 0) return 0;
  const double mean_s = group_s / tasks;
  double max_s = tasks == 1 ? group_s : mean_s;
  if (tasks > 1 && typical_s_ > 0 && mean_s > jump * typical_s_) {
    // One slow task among fast ones: the group's time less the others' typical time.
    max_s = group_s - (tasks - 1) * typical_s_;
    size_ = 1;  // time the next tasks one by one until they are fast again
    return max_s;
  }
  typical_s_ = typical_s_ > 0 ? (3 * typical_s_ + mean_s) / 4 : mean_s;
  if (group_s < target_group_s && size_ < max_group) size_ *= 2;
  else if (group_s > 4 * target_group_s && size_ > 1) size_ /= 2;
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

void ResultCollector::consume(int worker, std::string_view reply, int worker_rank,
                              std::vector<FailedAttempt>& failures, std::vector<IdRun>& done, Timeline* timeline,
                              double now_s) {
  ResultBatchReader results(reply);
  ReplySummary summary;
  summary.batches = results.header().batches_completed;
  summary.busy_s = results.header().busy_s;
  // The reply's tasks ran one after another and the last ended about when it was sent:
  // each task's end is found by walking back from the reply's arrival.
  double later_s = summary.busy_s;
  ResultRun run{};
  while (results.next_run(run)) {
    const ResultRunHeader& h = run.header;
    if (h.status == TaskStatus::not_started) {
      summary.returned += h.count;
      continue;
    }
    if (run_times_) run_times_->observe(h.max_s);
    summary.max_task_s = std::max(summary.max_task_s, h.max_s);
    later_s -= h.run_s;
    if (timeline) {  // sampled tasks only: spaced evenly through the run
      const double run_start = std::max(0.0, now_s - later_s - h.run_s);
      const double task_s = run.task_s();
      for (std::uint64_t id = timeline->next_wanted(h.first_id); id - h.first_id < h.count;
           id = timeline->next_wanted(id + 1)) {
        const double start = run_start + static_cast<double>(id - h.first_id) * task_s;
        timeline->add(TaskSample{id, worker_rank, start, start + task_s, h.status == TaskStatus::ok});
      }
    }
    if (h.status == TaskStatus::ok) {
      summary.done += h.count;
      if (!done.empty() && done.back().first + done.back().count == h.first_id) done.back().count += h.count;
      else done.push_back(IdRun{h.first_id, h.count});
    } else {
      summary.failed += h.count;
    }
    if (!h.with_data) continue;
    if (!handler_ && h.status == TaskStatus::ok) {  // the run's output in one piece
      sink_.write(run.data);
      continue;
    }
    ResultRunTasks tasks(run);
    ResultView r{};
    while (tasks.next(r)) {  // a handler's run, or failures
      if (handler_) handler_->deliver(r, sink_);
      if (r.status == TaskStatus::ok) continue;
      std::string message = handler_ ? handler_->failure_message(r.data) : std::string(r.data);
      const bool retry = r.status != TaskStatus::failed_for_good;
      log::line("task " + std::to_string(r.id) + " failed on rank " + std::to_string(worker_rank) +
                (retry ? "" : ", not to be retried") + ": " + message);
      failures.push_back(FailedAttempt{r.id, std::move(message), retry});
    }
  }
  const Submitted submitted = results.submissions();
  if (frontier_) {  // those streamed ahead first: they were submitted first
    frontier_->commit_staged(worker, submitted.head);
    frontier_->add(submitted.count, submitted.encoded);
  } else if (submitted.count > 0 || submitted.head.count > 0) {
    throw WireError("a reply holds submitted tasks, but this job's tasks submit none");
  }
  done_ += summary.done;
  returned_ += summary.returned;
  scheduler_.on_reply(worker, summary);
}

void ResultCollector::stage(int worker, std::string_view chunk) {
  const auto head = wire::get<SubmittedHead>(chunk);
  if (!frontier_) throw WireError("a worker streamed submitted tasks, but this job's tasks submit none");
  frontier_->stage(worker, head, chunk);
}

void ResultCollector::drop_staged(int worker) {
  if (frontier_) frontier_->drop_staged(worker);
}

void HeldBatches::add(std::string_view batch, const std::vector<TaskGroup>& groups, double sent_s) {
  Batch& held = batches_.emplace_back();
  held.bytes = feeder_.replayable() ? groups.size() * sizeof(TaskGroup) : batch.size();
  held.groups = 0;
  held.sent_s = sent_s;
  bytes_ += held.bytes;
  if (feeder_.replayable()) {
    held.groups = groups.size();
    groups_.insert(groups_.end(), groups.begin(), groups.end());
    return;
  }
  if (!spare_copies_.empty()) {
    held.copy.swap(spare_copies_.back());
    spare_copies_.pop_back();
  }
  held.copy.assign(batch);
}

void HeldBatches::pop_front(std::size_t n) {
  for (std::size_t i = 0; i < n && !batches_.empty(); ++i) {
    bytes_ -= batches_.front().bytes;
    groups_.erase(groups_.begin(), groups_.begin() + static_cast<long>(batches_.front().groups));
    if (spare_copies_.size() < 2 && !batches_.front().copy.empty()) spare_copies_.push_back(std::move(batches_.front().copy));
    batches_.pop_front();
  }
}

void HeldBatches::visit(std::size_t n, const std::function<bool(const TaskView&)>& visit) {
  std::size_t first_group = 0;
  for (std::size_t b = 0; b < n && b < batches_.size(); first_group += batches_[b].groups, ++b) {
    if (!feeder_.replayable()) {
      TaskBatchReader tasks(batches_[b].copy);
      TaskView task{};
      while (tasks.next(task))
        if (visit(task)) return;
      continue;
    }
    for (std::size_t g = first_group; g < first_group + batches_[b].groups; ++g) {
      const TaskGroup group = groups_[g];
      for (std::uint32_t i = 0; i < group.count; ++i) {
        feeder_.replay(group.first_id + i, payload_);
        if (visit(TaskView{group.first_id + i, group.attempt, payload_})) return;
      }
    }
  }
}

void HeldBatches::held_ids(std::int32_t rank, std::vector<std::pair<std::int32_t, IdRun>>& out) const {
  auto add = [&](std::uint64_t first, std::uint64_t count) {
    if (!out.empty() && out.back().first == rank && out.back().second.first + out.back().second.count == first)
      out.back().second.count += count;
    else
      out.emplace_back(rank, IdRun{first, count});
  };
  for (const TaskGroup& group : groups_) add(group.first_id, group.count);
  for (const Batch& batch : batches_) {
    if (batch.copy.empty()) continue;
    TaskBatchReader tasks(batch.copy);
    TaskView task{};
    while (tasks.next(task)) add(task.id, 1);
  }
}

void FailureHandler::give_up(std::uint64_t id, std::uint32_t deaths, const std::string& payload) {
  FailedTask& task = failed_.emplace_back(
      FailedTask{id, deaths, job_.describe(payload), "in flight when the job died " + std::to_string(deaths) + " times"});
  log::line("task " + std::to_string(id) + " (" + task.task + ") was " + task.error + ": not run again");
  if (halt_on_error_) {
    log::line("halting on error (--halt-on-error): no new tasks; waiting for the running ones");
    feeder_.halt();
  }
}

void FailureHandler::on_failure(const FailedAttempt& failure, HeldBatches& held, std::size_t acknowledged, int worker) {
  std::optional<TaskView> task;
  std::string payload;  // the view's bytes outlive the visit
  held.visit(acknowledged, [&](const TaskView& t) {
    if (t.id != failure.id) return false;
    payload = t.payload;
    task = TaskView{t.id, t.attempt, payload};
    return true;
  });
  if (!task) throw std::logic_error("failed task " + std::to_string(failure.id) + " is not in its batches");
  if (failure.retry && task->attempt < retries_) {
    feeder_.retry(*task, worker);
    return;
  }
  failed_.push_back(FailedTask{task->id, task->attempt + 1, job_.describe(task->payload), failure.message});
  if (halt_on_error_) {
    log::line("halting on error (--halt-on-error): no new tasks; waiting for the running ones");
    feeder_.halt();
  }
}

}  // namespace taskfarm

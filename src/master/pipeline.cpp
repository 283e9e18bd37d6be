#include "master/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <exception>

#include "core/clock.hpp"
#include "core/log.hpp"

namespace taskfarm {

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

void HeldBatches::add(std::string_view batch, const std::vector<TaskSpan>& spans, double sent_s) {
  Batch& held = batches_.emplace_back();
  held.bytes = feeder_.replayable() ? spans.size() * sizeof(TaskSpan) : batch.size();
  held.spans = 0;
  held.sent_s = sent_s;
  bytes_ += held.bytes;
  if (feeder_.replayable()) {
    held.spans = spans.size();
    spans_.insert(spans_.end(), spans.begin(), spans.end());
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
    spans_.erase(spans_.begin(), spans_.begin() + static_cast<long>(batches_.front().spans));
    if (spare_copies_.size() < 2 && !batches_.front().copy.empty()) spare_copies_.push_back(std::move(batches_.front().copy));
    batches_.pop_front();
  }
}

void HeldBatches::visit(std::size_t n, const std::function<bool(const TaskView&)>& visit) {
  std::size_t first_span = 0;
  for (std::size_t b = 0; b < n && b < batches_.size(); first_span += batches_[b].spans, ++b) {
    if (!feeder_.replayable()) {
      TaskBatchReader tasks(batches_[b].copy);
      TaskView task{};
      while (tasks.next(task))
        if (visit(task)) return;
      continue;
    }
    for (std::size_t g = first_span; g < first_span + batches_[b].spans; ++g) {
      const TaskSpan span = spans_[g];
      for (std::uint32_t i = 0; i < span.count; ++i) {
        feeder_.replay(span.first_id + i, payload_);
        if (visit(TaskView{span.first_id + i, span.attempt, payload_})) return;
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
  for (const TaskSpan& span : spans_) add(span.first_id, span.count);
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

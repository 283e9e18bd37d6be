#include "worker/group_runner.hpp"

#include <algorithm>

#include "core/messages.hpp"

namespace taskfarm {

namespace {
using clock = std::chrono::steady_clock;
// The leader's messages to its group, by their first byte: a batch, or the end.
constexpr char batch_message = static_cast<char>(Tag::group_batch);
constexpr char end_message = static_cast<char>(Tag::group_end);
}  // namespace

clock::time_point GroupBatch::run(Kernel& kernel, Attempt& attempt, std::string_view batch, clock::time_point start) {
  staged.clear();
  ends.clear();
  seconds.clear();
  failures.clear();
  submitted.clear();
  submit_ends.clear();
  TaskBatchReader tasks(batch);
  for (std::uint32_t i = 0; attempt.next(tasks); ++i) {
    if (std::optional<KernelFailure> failure = attempt.run(kernel, staged))
      failures.push_back(GroupFailure{i, std::move(failure->message), failure->status});
    const auto now = clock::now();
    ends.push_back(staged.size());
    submit_ends.emplace_back(submitted.encoded().size(), submitted.count());
    seconds.push_back(std::chrono::duration<double>(now - start).count());
    start = now;
  }
  return start;
}

double GroupBatchRunner::run(std::string_view batch, ResultBatchWriter& reply, clock::time_point start) {
  message_.assign(1, batch_message);
  message_.append(batch);
  link_.share(message_);
  finished_at_ = batch_.run(kernel_, attempt_, batch, start);
  write_results(batch, link_.agree(batch_.failures), reply);
  return std::chrono::duration<double>(finished_at_ - start).count();
}

/// Consecutive tasks that succeeded on every rank become one timed run, as BatchRunner's;
/// a task that failed anywhere is a run of its own, with the first failing rank's message.
void GroupBatchRunner::write_results(std::string_view batch, const std::vector<GroupFailure>& failures,
                                     ResultBatchWriter& reply) {
  std::vector<const GroupFailure*> failed(batch_.ends.size(), nullptr);
  for (const GroupFailure& f : failures)
    if (f.index < failed.size() && !failed[f.index]) failed[f.index] = &f;
  const bool with_data = side_output_ == nullptr;
  std::string& out = side_output_ ? *side_output_ : reply.out();
  const std::size_t batch_start = out.size();
  double run_s = 0, max_s = 0;
  auto close_run = [&] {
    if (reply.run_open()) reply.close_run(run_s, max_s);
    run_s = max_s = 0;
  };
  TaskBatchReader tasks(batch);
  TaskView task{};
  for (std::size_t i = 0; tasks.next(task); ++i) {
    const double task_s = batch_.seconds[i];
    if (failed[i]) {
      close_run();
      reply.add(task.id, failed[i]->status, task_s, failed[i]->message);
      continue;
    }
    if (reply.run_open() && task.id != reply.run_next_id()) close_run();
    if (!reply.run_open()) reply.open_run(task.id, TaskStatus::ok, with_data);
    reply.begin_task();
    out.append(batch_.output(i));
    reply.end_task();
    if (submitted_) commit_submissions(i);
    run_s += task_s;
    max_s = std::max(max_s, task_s);
  }
  close_run();
  if (side_output_) kernel_.end_batch(*side_output_, batch_start);
  reply.complete_batch();
}

/// Task `i`'s submissions, on the leader, once the group agrees that it succeeded.
void GroupBatchRunner::commit_submissions(std::size_t i) {
  const auto [from, before] = i == 0 ? std::pair<std::size_t, std::uint64_t>{0, 0} : batch_.submit_ends[i - 1];
  const auto [to, after] = batch_.submit_ends[i];
  submitted_->append(batch_.submitted.encoded().substr(from, to - from), after - before);
}

void stop_group(GroupLink& link) { link.share(std::string_view(&end_message, 1)); }

void follow_group(Kernel& kernel, GroupLink& link, bool submits, const AttemptLimits& limits) {
  std::string message;
  GroupBatch batch;
  Attempt attempt(submits ? &batch.submitted : nullptr, link.rank_group(), limits);  // the leader's count; these are dropped
  while (true) {
    link.receive(message);
    if (message.empty() || message[0] != batch_message) return;
    const auto now = clock::now();
    attempt.start_batch(now);  // the leader's answer to the master was just before
    batch.run(kernel, attempt, std::string_view(message).substr(1), now);
    link.agree(batch.failures);
  }
}

void put_group_failures(std::string& buf, const std::vector<GroupFailure>& failures) {
  for (const GroupFailure& f : failures) {
    wire::put(buf, f.index);
    wire::put(buf, f.status);
    wire::put(buf, static_cast<std::uint32_t>(f.message.size()));
    buf += f.message;
  }
}

std::vector<GroupFailure> get_group_failures(std::string_view in) {
  std::vector<GroupFailure> failures;
  while (!in.empty()) {
    GroupFailure& f = failures.emplace_back();
    f.index = wire::get<std::uint32_t>(in);
    f.status = wire::get<TaskStatus>(in);
    f.message = std::string(wire::get_bytes(in, wire::get<std::uint32_t>(in)));
  }
  return failures;
}

}  // namespace taskfarm

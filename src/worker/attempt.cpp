#include "worker/attempt.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <utility>

#include "core/clock.hpp"
#include "taskfarm/error.hpp"

namespace taskfarm {

namespace {

// Limits beyond this many seconds (32 years) are none: the clock's arithmetic stays in range.
constexpr double max_limit_s = 1e9;

/// The task this thread runs, for this_task() (0.3's kernels).
const detail::TaskContext* current_context = nullptr;

/// Calls run(); an exception from it becomes the attempt's failure. A PermanentError
/// says a retry would fail alike.
template <class Run>
std::optional<KernelFailure> failure_of(Run&& run) {
  try {
    run();
    return std::nullopt;
  } catch (const PermanentError& e) {
    return KernelFailure{e.what(), TaskStatus::failed_for_good};
  } catch (const std::exception& e) {
    return KernelFailure{e.what()};
  } catch (...) {
    return KernelFailure{"the kernel threw an exception that is not a std::exception"};
  }
}

}  // namespace

const detail::TaskContext* detail::current_task_context() { return current_context; }

std::string& Submissions::begin_task() {
  task_at_ = bytes_.size();
  bytes_.append(sizeof(std::uint32_t), '\0');
  return bytes_;
}

void Submissions::end_task() {
  const auto length = static_cast<std::uint32_t>(bytes_.size() - task_at_ - sizeof(std::uint32_t));
  std::memcpy(bytes_.data() + task_at_, &length, sizeof length);
  ++count_;
  if (bytes_.size() < stream_at_) return;
  std::string chunk;
  wire::put(chunk, sent_);
  chunk.append(bytes_);
  sent_.count += count_;
  sent_.bytes += bytes_.size();
  clear();
  send_(std::move(chunk));
}

void Submissions::rewind(const SubmittedHead& mark) {
  if (mark.bytes >= sent_.bytes) {
    bytes_.resize(static_cast<std::size_t>(mark.bytes - sent_.bytes));
    count_ = mark.count - sent_.count;
    return;
  }
  clear();  // some went ahead already: the next head takes them back
  sent_ = mark;
}

void Submissions::stream_ahead(std::size_t at, std::function<void(std::string chunk)> send) {
  stream_at_ = at;
  send_ = std::move(send);
}

void Submissions::append(std::string_view encoded, std::uint64_t count) {
  bytes_.append(encoded);
  count_ += count;
}

void Submissions::into_reply(ResultBatchWriter& reply) {
  reply.add_submissions(sent_, count_, bytes_);
  clear();
  sent_ = SubmittedHead{};
}

Attempt::Attempt(Submissions* submissions, const RankGroup& group, const AttemptLimits& limits)
    : submissions_(submissions),
      timeout_(limits.task_timeout_s < max_limit_s ? seconds(limits.task_timeout_s) : clock::duration::zero()),
      run_end_(clock::time_point::max()) {
  context_.submitter = submissions;
  context_.group = group.view();
  const double left_s = limits.end_epoch_s ? *limits.end_epoch_s - epoch_now() : max_limit_s;
  if (left_s < max_limit_s) run_end_ = clock::now() + seconds(left_s);  // the system clock's end on the steady clock
  context_.deadline = run_end_;
}

void Attempt::start_batch(clock::time_point reply_at) {
  if (timeout_ > clock::duration::zero()) context_.deadline = std::min(run_end_, reply_at + timeout_);
}

TaskContext& Attempt::begin(std::string& out) {
  context_.out = &out;
  out_mark_ = out.size();
  if (submissions_) submitted_mark_ = submissions_->mark();
  current_context = &context_;
  return context_;
}

void Attempt::settle(TaskStatus status) {
  if (status == TaskStatus::ok) return;
  std::string& out = *context_.out;
  out.resize(std::min(out_mark_, out.size()));
  if (submissions_) submissions_->rewind(submitted_mark_);
}

std::optional<KernelFailure> Attempt::run(Kernel& kernel, const TaskView& task, std::string& out) {
  context_.payload = task.payload;
  context_.id = task.id;
  context_.attempt = task.attempt;
  return run(kernel, out);
}

std::optional<KernelFailure> Attempt::run(Kernel& kernel, std::string& out) {
  TaskContext& context = begin(out);
  std::optional<KernelFailure> failure = failure_of([&] { kernel.run(context); });
  if (!failure && out.size() < out_mark_) failure = KernelFailure{"the kernel truncated its output buffer"};
  settle(failure ? failure->status : TaskStatus::ok);
  return failure;
}

}  // namespace taskfarm

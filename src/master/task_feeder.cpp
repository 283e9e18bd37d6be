// The master's TaskFeeder (pipeline.hpp): retries, then submitted tasks, then the
// source's, into task batches.

#include <algorithm>
#include <stdexcept>

#include "core/log.hpp"
#include "master/pipeline.hpp"

namespace taskfarm {

TaskFeeder::TaskFeeder(std::unique_ptr<TaskSource> source, const JobSource& job, bool narrate, Frontier* frontier)
    : source_(std::move(source)),
      job_(job),
      narrate_(narrate),
      frontier_(frontier),
      size_(source_->size()),
      // Submitted tasks are not the source's to replay: held batches keep copies.
      replayable_(source_->replayable() && !frontier),
      fixed_bytes_(source_->fixed_bytes()) {}

std::uint32_t TaskFeeder::fill(TaskBatchWriter& batch, std::uint32_t max_tasks, int worker, int workers,
                               std::size_t max_bytes, bool worker_idle) {
  std::uint32_t added = 0;
  filled_alone_ = false;
  auto room = [&] { return added < max_tasks && (added == 0 || batch.bytes() < max_bytes); };
  // Retries first, but never on the worker they just failed on, unless it is the only one.
  for (auto it = retries_.begin(); it != retries_.end() && room();) {
    if (it->failed_on == worker && workers > 1) {
      ++it;
      continue;
    }
    batch.add(it->id, it->payload, it->attempt);
    it = retries_.erase(it);
    ++added;
  }
  // Then submitted tasks, newest first (see Frontier).
  std::uint64_t id = 0;
  std::string_view payload;
  if (frontier_ && !halted_ && crashes_ && fill_submitted_after_crash(batch, room, worker_idle, added)) return added;
  while (frontier_ && !halted_ && !crashes_ && room() && frontier_->next(id, payload)) {
    if (narrate_) log::line("Put task " + job_.describe(payload) + "...");
    batch.add(id, payload);
    ++added;
  }
  if (room() && runs_allowed()) added += fill_run(batch, max_tasks - added, max_bytes);
  while (room() && !halted_ && (have_next_ || read_next())) {
    if (next_suspect_) {
      if (added > 0 || !worker_idle) break;  // it waits for an idle worker, in order
      filled_alone_ = true;
    }
    if (narrate_) log::line("Put task " + job_.describe(payload_) + "...");
    batch.add(next_id_++, payload_);
    have_next_ = false;
    ++added;
    if (filled_alone_) break;
  }
  return added;
}

/// After ranks died (--resume), submitted tasks are isolated as the source's are: a poison
/// task is given up, a suspect goes alone to an idle worker (until then the batch takes
/// the source's tasks). Returns whether a suspect went alone.
bool TaskFeeder::fill_submitted_after_crash(TaskBatchWriter& batch, const std::function<bool()>& room,
                                            bool worker_idle, std::uint32_t& added) {
  while (room() && (held_submitted_ || take_submitted())) {
    if (held_suspect_) {
      if (added > 0 || !worker_idle) return false;
      filled_alone_ = true;
    }
    if (narrate_) log::line("Put task " + job_.describe(held_submitted_->payload) + "...");
    batch.add(held_submitted_->id, held_submitted_->payload);
    held_submitted_.reset();
    ++added;
    if (filled_alone_) return true;
  }
  return false;
}

/// The next submitted task that is not poison, into held_submitted_.
bool TaskFeeder::take_submitted() {
  std::uint64_t id = 0;
  std::string_view payload;
  while (frontier_->next(id, payload)) {
    if (const auto poison = crashes_->poisoned.find(id); poison != crashes_->poisoned.end()) {
      give_up_(id, poison->second, std::string(payload));
      continue;
    }
    held_submitted_ = HeldTask{id, std::string(payload)};
    held_suspect_ = crashes_->suspects.contains(id);
    return true;
  }
  return false;
}

/// New tasks in one run, when nothing needs a look at each task: no retry waiting, no
/// task to skip (a resume) or to isolate (a crash), no narration.
bool TaskFeeder::runs_allowed() const {
  return fixed_bytes_ > 0 && retries_.empty() && !halted_ && !source_done_ && !have_next_ && !skip_ && !crashes_ &&
         !narrate_;
}

/// Up to `max_tasks` new tasks at once, and about as many as fill the batch to
/// `max_bytes` (one at least): what one-by-one filling would give, a run at a time.
std::uint32_t TaskFeeder::fill_run(TaskBatchWriter& batch, std::uint32_t max_tasks, std::size_t max_bytes) {
  const std::size_t used = batch.bytes();
  const std::size_t fit = used < max_bytes ? (max_bytes - used + fixed_bytes_ - 1) / fixed_bytes_ : 1;
  const std::size_t want = std::min<std::size_t>(max_tasks, std::max<std::size_t>(fit, 1));
  run_.clear();
  const std::size_t got = source_->next_fixed(run_, want);
  if (got < want) source_done_ = true;
  batch.add_run(next_id_, static_cast<std::uint32_t>(got), static_cast<std::uint32_t>(fixed_bytes_), run_.data());
  next_id_ += got;
  return static_cast<std::uint32_t>(got);
}

bool TaskFeeder::read_next() {
  while (!source_done_) {
    if (!source_->next(payload_)) {
      source_done_ = true;
      break;
    }
    if (skip_ && skip_->contains(next_id_)) {
      ++next_id_;
      ++skipped_;
      continue;
    }
    if (crashes_) {
      if (const auto poison = crashes_->poisoned.find(next_id_); poison != crashes_->poisoned.end()) {
        give_up_(next_id_++, poison->second, payload_);
        continue;
      }
      next_suspect_ = crashes_->suspects.contains(next_id_);
    }
    have_next_ = true;
    return true;
  }
  return false;
}

void TaskFeeder::retry(const TaskView& task, int failed_on) {
  if (halted_) {
    ++dropped_retries_;
    return;
  }
  retries_.push_back(Retry{task.id, task.attempt + 1, std::string(task.payload), failed_on});
}

void TaskFeeder::replay(std::uint64_t id, std::string& payload) {
  if (!source_->replay(id, payload)) throw std::logic_error("task " + std::to_string(id) + " cannot be replayed");
}

void TaskFeeder::halt() {
  halted_ = true;
  dropped_retries_ += retries_.size();
  retries_.clear();
}

std::optional<std::uint64_t> TaskFeeder::total() const {
  if (!size_) return std::nullopt;
  return std::max(*size_, next_id_) + submitted();
}

std::optional<std::uint64_t> TaskFeeder::undispatched() const {
  std::optional<std::uint64_t> from_source;
  if (size_) from_source = *size_ > next_id_ ? *size_ - next_id_ : 0;
  else if (source_done_ && !have_next_) from_source = 0;
  if (!frontier_ || !from_source) return size_ ? from_source : std::nullopt;
  return *from_source + frontier_->pending() + (held_submitted_ ? 1 : 0);
}

}  // namespace taskfarm

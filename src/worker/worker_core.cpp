#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/backoff.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/monitor.hpp"
#include "resume/output_dir.hpp"
#include "worker/batch_runner.hpp"
#include "worker/worker_core.hpp"

namespace taskfarm {

namespace {

/// What the reduce phase sees: the worker's place, the exchange, its reduce file.
class ReduceContext final : public WorkerContext {
 public:
  ReduceContext(int index, int workers, const Exchange& exchange, std::string& output, std::vector<PartSlice> earlier)
      : index_(index), workers_(workers), exchange_(exchange), output_(output), earlier_(std::move(earlier)) {}
  int worker_index() const override { return index_; }
  int workers() const override { return workers_; }
  std::vector<std::string> exchange(const std::vector<std::string>& outgoing) override { return exchange_(outgoing); }
  std::string& output() override { return output_; }
  const std::vector<PartSlice>& earlier_output() const override { return earlier_; }

 private:
  int index_;
  int workers_;
  const Exchange& exchange_;
  std::string& output_;
  std::vector<PartSlice> earlier_;
};

// Storage kept for the next batches: a refill of up to --window's default of small
// batches, 256 KiB at most. (A larger batch's malloc is small beside its work.)
constexpr std::size_t max_spare_batches = 1024;
constexpr std::size_t max_spare_batch_bytes = 256;
// A reply larger than this goes out even if more batches are queued, bounding memory.
constexpr std::size_t max_reply_bytes = 1 << 20;
// Submitted tasks beyond this go to the master ahead of the reply (Tag::submitted).
constexpr std::size_t submission_chunk_bytes = 1 << 20;

}  // namespace

WorkerCore::WorkerCore(const JobRoles& job, const Config& config, std::uint32_t run, int rank, int workers,
                       GroupLink* group)
    : job_(job), output_dir_(config.output_dir), run_(run), rank_(rank), workers_(workers), group_(group) {
  log::set_narrating(config.verbose);
  if (config.output_dir && job.part_files) part_.emplace(temporary_part_path(*config.output_dir, rank, run));
  job.kernel->start(KernelPlace{rank, workers, group ? group->rank_group() : RankGroup{}});
  std::string* side_output = part_ ? &part_->buffer() : nullptr;
  Submissions* submitted = job.submits ? &submitted_ : nullptr;
  const RunProfile& profile = config.profile;
  switch (profile.executor) {
    case ExecutorKind::group: group_runner_.emplace(*job.kernel, *group, side_output, submitted, profile.limits); break;
    case ExecutorKind::slots: slots_.emplace(*job.slots); break;
    case ExecutorKind::sequential: runner_.emplace(*job.kernel, side_output, submitted, profile.limits); break;
  }
}

void WorkerCore::receive(Tag tag, std::string_view body) {
  if (tag == Tag::tasks) {
    last_reading_ = clock::now();
    if (batches_held() == 0) answered_at_ = last_reading_;  // the master counts its silence from here
    while (const auto framed = next_framed_batch(body)) {
      std::string batch;
      if (!spare_batches_.empty()) {
        batch = std::move(spare_batches_.back());
        spare_batches_.pop_back();
      }
      batch.assign(*framed);
      arrivals_.push_back(last_reading_);
      if (slots_) slots_->add(std::move(batch));
      else queue_.push_back(std::move(batch));
    }
  } else if (tag == Tag::hold) {  // start no more tasks: what has not started goes back
    if (slots_) {
      slots_->hold();
    } else {
      for (const std::string& batch : queue_) {
        TaskBatchReader tasks(batch);
        TaskView task{};
        while (tasks.next(task)) reply_.add(task.id, TaskStatus::not_started, 0, {});
        reply_.complete_batch();
        ++finished_since_reply_;
      }
      finished_batches(queue_.size());
      queue_.clear();
    }
  } else if (tag == Tag::stop) {
    stopping_ = true;
    stop_kind_ = body.empty() ? StopKind::abandoned : static_cast<StopKind>(body[0]);
    std::string_view rest = std::string_view(body).substr(body.empty() ? 0 : 1);
    if (!rest.empty()) earlier_output_ = get_part_slices(rest);
  }
}

std::size_t WorkerCore::batches_held() const { return slots_ ? slots_->batches() : queue_.size(); }

void WorkerCore::finished_batches(std::size_t n) {
  if (n == 0) return;
  newest_done_arrival_ = arrivals_[n - 1];
  arrivals_.erase(arrivals_.begin(), arrivals_.begin() + static_cast<std::ptrdiff_t>(n));
}

bool WorkerCore::work(double slot_wait_s) {
  if (slots_) {
    const auto start = clock::now();
    const std::size_t finished = slots_->step(reply_, slot_wait_s);
    finished_batches(finished);
    finished_since_reply_ += finished;
    last_reading_ = clock::now();
    busy_s_ += std::chrono::duration<double>(last_reading_ - start).count();
  } else {
    // The runner's readings serve here too.
    if (group_runner_) {
      group_runner_->answered_at(answered_at_);
      busy_s_ += group_runner_->run(queue_.front(), reply_, last_reading_);
      last_reading_ = group_runner_->finished_at();
    } else {
      runner_->answered_at(answered_at_);
      busy_s_ += runner_->run(queue_.front(), reply_, last_reading_);
      last_reading_ = runner_->finished_at();
    }
    if (part_) part_->flush_if_full();
    if (spare_batches_.size() < max_spare_batches && queue_.front().capacity() <= max_spare_batch_bytes)
      spare_batches_.push_back(std::move(queue_.front()));
    queue_.pop_front();
    finished_batches(1);
    ++finished_since_reply_;
  }
  return finished_since_reply_ > 0 && (finished_since_reply_ >= batches_held() ||
                                       reply_.bytes() + submitted_.encoded().size() > max_reply_bytes);
}

void WorkerCore::stream_submissions(std::function<void(std::string)> send) {
  if (!job_.submits || group_) return;  // a group's leader submits what its group agreed on, with the reply
  submitted_.stream_ahead(submission_chunk_bytes, std::move(send));
}

std::string WorkerCore::take_reply(std::string next) {
  if (part_) reply_.set_part_bytes(part_->flush());
  if (slots_)
    for (auto& output : slots_->take_outputs()) outputs_.push_back(std::move(output));
  submitted_.into_reply(reply_);
  if (reply_.batches_completed() > 0)
    reply_.set_held_s(std::max(0.0, std::chrono::duration<double>(last_reading_ - newest_done_arrival_).count()));
  answered_at_ = last_reading_;
  std::string reply = std::move(reply_buf_);
  reply_buf_ = std::move(next);
  reply_.reset();
  finished_since_reply_ = 0;
  return reply;
}

void WorkerCore::next_output_chunk(std::string& body) {
  auto& [task_id, file] = outputs_.front();
  const std::size_t size = static_cast<std::size_t>(std::min<std::uint64_t>(output_chunk_bytes, file.bytes() - output_sent_));
  const bool last = output_sent_ + size == file.bytes();
  body.clear();
  wire::put(body, OutputChunk{task_id, static_cast<std::uint8_t>(last)});
  file.read(output_sent_, size, body);
  if (body.size() != sizeof(OutputChunk) + size)
    throw std::runtime_error("the spilled output of task " + std::to_string(task_id) + " is shorter than written");
  output_sent_ += size;
  if (last) {
    outputs_.pop_front();
    output_sent_ = 0;
  }
}

void WorkerCore::finish(const Exchange& exchange) {
  std::optional<PartFile> reduce;
  if (reducing()) {
    if (output_dir_) reduce.emplace(temporary_reduce_path(*output_dir_, rank_, run_));
    std::string no_output;  // a reduce phase requires --output
    ReduceContext context(rank_ == master_rank ? 0 : rank_ - 1, workers_, exchange, reduce ? reduce->buffer() : no_output,
                          std::move(earlier_output_));
    job_.reduce->finish(context);
  }
  bytes_written_ = (part_ ? part_->close() : 0) + (reduce ? reduce->close() : 0);
}

std::string WorkerCore::goodbye(double idle_s, std::uint64_t messages_received, std::uint64_t messages_sent) const {
  std::string goodbye;
  const KernelCounts counts = job_.kernel->counts();
  wire::put(goodbye, WorkerGoodbye{idle_s, messages_received, messages_sent, bytes_written_, counts.bytes_read,
                                   peak_rss_bytes()});
  for (const auto& [name, value] : counts.named) {  // then the job's counts, to the message's end
    wire::put(goodbye, static_cast<std::uint32_t>(name.size()));
    goodbye.append(name);
    wire::put(goodbye, value);
  }
  return goodbye;
}

}  // namespace taskfarm

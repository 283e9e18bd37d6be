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

// A reply larger than this goes out even if more batches are queued, bounding memory.
constexpr std::size_t max_reply_bytes = 1 << 20;
// Submitted tasks beyond this go to the master ahead of the reply (Tag::submitted).
constexpr std::size_t submission_chunk_bytes = 1 << 20;

}  // namespace

WorkerCore::WorkerCore(const JobRoles& job, const Config& config, std::uint32_t run, int rank, int workers,
                       GroupLink* group)
    : job_(job),
      output_dir_(config.output_dir),
      run_(run),
      rank_(rank),
      workers_(workers),
      group_(group),
      streams_submissions_(job.submits && config.profile.executor != ExecutorKind::group) {
  log::set_narrating(config.verbose);
  if (config.output_dir && job.part_files) part_.emplace(temporary_part_path(*config.output_dir, rank, run));
  job.kernel->start(KernelPlace{rank, workers, group ? group->rank_group() : RankGroup{}});
  std::string* side_output = part_ ? &part_->buffer() : nullptr;
  Submissions* submitted = job.submits ? &submitted_ : nullptr;
  executor_ = make_executor(config.profile, job, side_output, submitted, group);
}

void WorkerCore::receive(Tag tag, std::string_view body) {
  if (tag == Tag::tasks) {
    last_reading_ = clock::now();
    if (batches_held() == 0) answered_at_ = last_reading_;  // the master counts its silence from here
    while (const auto framed = next_framed_batch(body)) {
      executor_->add(*framed);
      arrivals_.push_back(last_reading_);
    }
  } else if (tag == Tag::hold) {  // start no more tasks: what has not started goes back
    const std::size_t returned = executor_->hold(reply_);
    finished_batches(returned);
    finished_since_reply_ += returned;
  } else if (tag == Tag::stop) {
    stopping_ = true;
    stop_kind_ = body.empty() ? StopKind::abandoned : static_cast<StopKind>(body[0]);
    std::string_view rest = std::string_view(body).substr(body.empty() ? 0 : 1);
    if (!rest.empty()) earlier_output_ = get_part_slices(rest);
  }
}

std::size_t WorkerCore::batches_held() const { return executor_->held(); }

void WorkerCore::finished_batches(std::size_t n) {
  if (n == 0) return;
  newest_done_arrival_ = arrivals_[n - 1];
  arrivals_.erase(arrivals_.begin(), arrivals_.begin() + static_cast<std::ptrdiff_t>(n));
}

bool WorkerCore::work(double slot_wait_s) {
  const ExecutorStep step = executor_->step(reply_, last_reading_, answered_at_, slot_wait_s);
  busy_s_ += step.busy_s;
  last_reading_ = step.at;
  if (part_) part_->flush_if_full();
  finished_batches(step.finished);
  finished_since_reply_ += step.finished;
  return finished_since_reply_ > 0 && (finished_since_reply_ >= batches_held() ||
                                       reply_.bytes() + submitted_.encoded().size() > max_reply_bytes);
}

void WorkerCore::stream_submissions(std::function<void(std::string)> send) {
  if (!streams_submissions_) return;
  submitted_.stream_ahead(submission_chunk_bytes, std::move(send));
}

std::string WorkerCore::take_reply(std::string next) {
  if (part_) reply_.set_part_bytes(part_->flush());
  for (auto& output : executor_->take_outputs()) outputs_.push_back(std::move(output));
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

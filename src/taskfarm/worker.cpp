#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "taskfarm/backoff.hpp"
#include "taskfarm/clock.hpp"
#include "taskfarm/farm.hpp"
#include "taskfarm/log.hpp"
#include "taskfarm/monitor.hpp"
#include "taskfarm/output_dir.hpp"
#include "taskfarm/pipeline.hpp"
#include "taskfarm/transport.hpp"

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
// The master writes each output chunk to its stdout: a stalled stdout (a full pipe nobody
// reads) stalls it, but not this long.
constexpr auto output_chunk_timeout = std::chrono::seconds(600);
// How often a worker with batches at hand looks for messages (see run_worker), alone on
// its core and sharing it; Tag::hold waits no longer than this and the batch running.
constexpr auto look_interval = std::chrono::microseconds(10);
constexpr auto shared_look_interval = std::chrono::milliseconds(1);
// The example's get(timeout=1): after this long without tasks, --verbose says so.
constexpr auto empty_queue_notice = std::chrono::seconds(1);

}  // namespace

WorkerCore::WorkerCore(const JobRoles& job, const Config& config, std::uint32_t run, int rank, int workers)
    : job_(job), output_dir_(config.output_dir), run_(run), rank_(rank), workers_(workers) {
  if (config.verbose) job.kernel->set_narrator([](std::string_view text) { log::line(text); });
  if (config.output_dir && job.part_files) part_.emplace(temporary_part_path(*config.output_dir, rank, run));
  job.kernel->start(rank, workers);
  runner_.emplace(*job.kernel, part_ ? &part_->buffer() : nullptr);
  if (job.slots) slots_.emplace(*job.slots);
}

void WorkerCore::receive(Tag tag, std::string_view body) {
  if (tag == Tag::tasks) {
    last_reading_ = clock::now();
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
    busy_s_ += runner_->run(queue_.front(), reply_, last_reading_);  // its readings serve here too
    last_reading_ = runner_->finished_at();
    if (part_) part_->flush_if_full();
    if (spare_batches_.size() < max_spare_batches && queue_.front().capacity() <= max_spare_batch_bytes)
      spare_batches_.push_back(std::move(queue_.front()));
    queue_.pop_front();
    finished_batches(1);
    ++finished_since_reply_;
  }
  return finished_since_reply_ > 0 && (finished_since_reply_ >= batches_held() || reply_.bytes() > max_reply_bytes);
}

std::string WorkerCore::take_reply(std::string next) {
  if (part_) reply_.set_part_bytes(part_->flush());
  if (slots_)
    for (auto& output : slots_->take_outputs()) outputs_.push_back(std::move(output));
  if (reply_.batches_completed() > 0)
    reply_.set_held_s(std::max(0.0, std::chrono::duration<double>(last_reading_ - newest_done_arrival_).count()));
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

std::string WorkerCore::finish(const Exchange& exchange, double idle_s, std::uint64_t messages_received,
                               std::uint64_t messages_sent) {
  std::optional<PartFile> reduce;
  if (stop_kind_ == StopKind::finished && job_.reduce) {
    if (output_dir_) reduce.emplace(temporary_reduce_path(*output_dir_, rank_, run_));
    std::string no_output;  // a reduce phase requires --output
    ReduceContext context(rank_ == master_rank ? 0 : rank_ - 1, workers_, exchange, reduce ? reduce->buffer() : no_output,
                          std::move(earlier_output_));
    job_.reduce->finish(context);
  }
  const std::uint64_t bytes_written = (part_ ? part_->close() : 0) + (reduce ? reduce->close() : 0);
  std::string goodbye;
  wire::put(goodbye, WorkerGoodbye{idle_s, messages_received, messages_sent, bytes_written, job_.kernel->bytes_read(),
                                   peak_rss_bytes()});
  return goodbye;
}

void run_worker(Channel& channel, const JobRoles& job, const Config& config, std::uint32_t run) {
  WorkerCore core(job, config, run, channel.rank(), channel.size() - 1);
  // A resume tells the ranks that got mpirun's SIGTERM from one that died (poison tasks).
  if (config.output_dir) mark_stop_signal_in(stop_marker_path(*config.output_dir, channel.rank(), run));
  std::string inbox;
  Backoff backoff(job.slots ? Backoff::patient() : Backoff::Limits{});
  double idle_s = 0;
  auto idle_since = clock::now();
  bool idle = true;
  bool told_empty = false;
  auto send_reply = [&] {
    channel.progress_sends();  // an earlier reply's buffer, if sent, serves the next one
    std::string reply = core.take_reply(channel.take_buffer());
    // A spilled output goes first, one chunk in flight at a time: its memory stays small.
    while (core.has_output_chunk()) {
      std::string chunk = channel.take_buffer();
      core.next_output_chunk(chunk);
      channel.send(master_rank, Tag::output, std::move(chunk));
      const auto deadline = clock::now() + output_chunk_timeout;
      while (channel.progress_sends() > 0) {
        if (clock::now() > deadline)
          throw std::runtime_error("the master took no output chunk for " +
                                   std::to_string(output_chunk_timeout.count()) + " s");
        backoff.pause();
      }
      backoff.reset();
    }
    channel.send(master_rank, Tag::results, std::move(reply));
  };

  // With batches at hand, the worker looks for messages every 10 us, by the clock reading
  // each batch takes anyway: at --batch 1 a probe per task would cost more than the task.
  // With more ranks than cores, Open MPI yields the core on every empty probe, so then it
  // looks only when it has run half of what it held at its last look, or after 1 ms.
  const bool cores_shared = ranks_outnumber_cores();
  auto last_look = core.last_reading();
  std::size_t held_at_look = 0;
  auto time_to_look = [&] {
    const std::size_t held = core.batches_held();
    const auto since = core.last_reading() - last_look;
    if (held == 0) return true;
    return cores_shared ? 2 * held <= held_at_look || since >= shared_look_interval : since >= look_interval;
  };
  while (true) {
    if (time_to_look()) {
      last_look = core.last_reading();
      while (auto envelope = channel.poll(inbox, master_rank)) core.receive(envelope->tag, inbox);
      channel.progress_sends();
      held_at_look = core.batches_held();
    }
    if (core.stopping()) break;  // the master has every result it wants
    if (core.batches_held() == 0) {
      if (core.has_reply()) send_reply();
      if (!idle) {
        idle = true;
        idle_since = core.last_reading();  // the end of the last batch: no clock read per message
        told_empty = false;
      } else if (config.verbose && !told_empty && clock::now() - idle_since > empty_queue_notice) {
        log::line("task queue is empty");
        told_empty = true;
      }
      backoff.pause();
      continue;
    }
    if (idle) {
      idle_s += std::chrono::duration<double>(core.last_reading() - idle_since).count();  // the arrival's stamp
      idle = false;
    }
    backoff.reset();
    // Short waits for process slots: the master's messages are read between them.
    if (core.work(2e-3)) send_reply();
  }
  if (idle) idle_s += seconds_since(idle_since);
  const Exchange exchange = [&](const std::vector<std::string>& outgoing) {
    return channel.exchange_among_workers(outgoing);
  };
  std::string goodbye = core.finish(exchange, idle_s, channel.messages_received(), channel.messages_sent() + 1);
  channel.send(master_rank, Tag::goodbye, std::move(goodbye));
  // Our sends must complete before MPI_Finalize; the master is polling, so this is quick.
  const auto deadline = clock::now() + std::chrono::seconds(30);
  while (channel.progress_sends() > 0 && clock::now() < deadline) backoff.pause();
}

// ---- transports ----------------------------------------------------------------------

int MpiTransport::workers() const { return channel_.size() - 1; }
std::string MpiTransport::take_buffer() { return channel_.take_buffer(); }
void MpiTransport::send(int worker, Tag tag, std::string body) { channel_.send(worker + 1, tag, std::move(body)); }
std::optional<Envelope> MpiTransport::poll(std::string& body, std::optional<int> from) {
  auto envelope = channel_.poll(body, from ? *from + 1 : -1);
  if (envelope) envelope->source -= 1;  // rank -> worker
  return envelope;
}
std::size_t MpiTransport::progress_sends() { return channel_.progress_sends(); }
std::size_t MpiTransport::unsent_bytes(int worker) const { return channel_.pending_bytes(worker + 1); }
std::uint64_t MpiTransport::bytes_sent() const { return channel_.bytes_sent(); }
std::uint64_t MpiTransport::messages() const { return channel_.messages_sent() + channel_.messages_received(); }

void LocalTransport::send(int, Tag tag, std::string body) {
  core_.receive(tag, body);
  if (tag != Tag::stop) return;
  const Exchange alone = [](const std::vector<std::string>& outgoing) { return outgoing; };
  to_master_.emplace_back(Tag::goodbye, core_.finish(alone, seconds_since(start_) - core_.busy_s(), 0, 0));
}

std::optional<Envelope> LocalTransport::poll(std::string& body, std::optional<int>) {
  if (to_master_.empty() && !core_.stopping() && (core_.batches_held() > 0 || core_.has_reply())) {
    while (core_.batches_held() > 0 && !core_.work(0.05)) {
    }
    to_master_.emplace_back(Tag::results, core_.take_reply({}));
  }
  if (core_.has_output_chunk()) {  // ahead of the reply, as over MPI
    core_.next_output_chunk(body);
    return Envelope{0, Tag::output};
  }
  if (to_master_.empty()) return std::nullopt;
  body = std::move(to_master_.front().second);
  const Envelope envelope{0, to_master_.front().first};
  to_master_.pop_front();
  return envelope;
}

}  // namespace taskfarm

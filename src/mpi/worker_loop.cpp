#include "mpi/worker_loop.hpp"

#include <chrono>
#include <string>

#include "core/backoff.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/monitor.hpp"
#include "resume/output_dir.hpp"
#include "worker/worker_core.hpp"

namespace taskfarm {

namespace {

// The master writes each output chunk to its stdout: a stalled stdout (a full pipe nobody
// reads) stalls it, but not this long.
constexpr auto output_chunk_timeout = std::chrono::seconds(600);
// How often a worker with batches at hand looks for messages, alone on its core and
// sharing it; Tag::hold waits no longer than this and the batch running.
constexpr auto look_interval = std::chrono::microseconds(10);
constexpr auto shared_look_interval = std::chrono::milliseconds(1);
// The example's get(timeout=1): after this long without tasks, --verbose says so.
constexpr auto empty_queue_notice = std::chrono::seconds(1);
// The worker's last sends must complete before MPI_Finalize; the master is polling.
constexpr auto last_sends_timeout = std::chrono::seconds(30);

class WorkerLoop {
 public:
  WorkerLoop(Channel& channel, const JobRoles& job, const Config& config, std::uint32_t run, int rank,
             GroupLink* group)
      : channel_(channel),
        config_(config),
        core_(job, config, run, rank, channel.size() - 1, group),
        backoff_(config.profile.patient ? Backoff::patient() : Backoff::Limits{}),
        cores_shared_(ranks_outnumber_cores()),
        last_look_(core_.last_reading()) {
    core_.stream_submissions([this](std::string chunk) { send_alone(Tag::submitted, std::move(chunk)); });
  }
  /// Receives, runs and replies until the stop message.
  void work();
  /// After an error: tells the master (one line, on its side) and waits for the stop.
  void fail(const std::string& what);
  /// After the stop message: the reduce phase if asked, the files closed, goodbye.
  void finish();
  /// A group's leader, after the stop message: its group stops too.
  void release_group() { core_.release_group(); }

 private:
  bool time_to_look() const;
  void wait_idle();
  void send_reply();
  void send_output_chunks();
  void send_alone(Tag tag, std::string message);
  void wait_for_sends(clock::duration limit);

  Channel& channel_;
  const Config& config_;
  WorkerCore core_;
  Backoff backoff_;
  std::string inbox_;
  double idle_s_ = 0;
  clock::time_point idle_since_ = clock::now();
  bool idle_ = true;
  bool told_empty_ = false;
  const bool cores_shared_;
  clock::time_point last_look_;
  std::size_t held_at_look_ = 0;
};

/// With batches at hand, the worker looks for messages every 10 us, by the clock reading
/// each batch takes anyway: at --batch 1 a probe per task would cost more than the task.
/// With more ranks than cores, Open MPI yields the core on every empty probe, so then it
/// looks only when it has run half of what it held at its last look, or after 1 ms.
bool WorkerLoop::time_to_look() const {
  const std::size_t held = core_.batches_held();
  const auto since = core_.last_reading() - last_look_;
  if (held == 0) return true;
  return cores_shared_ ? 2 * held <= held_at_look_ || since >= shared_look_interval : since >= look_interval;
}

void WorkerLoop::work() {
  while (true) {
    if (time_to_look()) {
      last_look_ = core_.last_reading();
      while (auto envelope = channel_.poll(inbox_, master_rank)) core_.receive(envelope->tag, inbox_);
      channel_.progress_sends();
      held_at_look_ = core_.batches_held();
    }
    if (core_.stopping()) break;  // the master has every result it wants
    if (core_.batches_held() == 0) {
      wait_idle();
      continue;
    }
    if (idle_) {
      idle_s_ += std::chrono::duration<double>(core_.last_reading() - idle_since_).count();  // the arrival's stamp
      idle_ = false;
    }
    backoff_.reset();
    // Short waits for process slots: the master's messages are read between them.
    if (core_.work(2e-3)) send_reply();
  }
  if (idle_) idle_s_ += seconds_since(idle_since_);
}

void WorkerLoop::wait_idle() {
  if (core_.has_reply()) send_reply();
  if (!idle_) {
    idle_ = true;
    idle_since_ = core_.last_reading();  // the end of the last batch: no clock read per message
    told_empty_ = false;
  } else if (config_.verbose && !told_empty_ && clock::now() - idle_since_ > empty_queue_notice) {
    log::line("task queue is empty");
    told_empty_ = true;
  }
  backoff_.pause();
}

void WorkerLoop::send_reply() {
  channel_.progress_sends();  // an earlier reply's buffer, if sent, serves the next one
  std::string reply = core_.take_reply(channel_.take_buffer());
  send_output_chunks();
  channel_.send(master_rank, Tag::results, std::move(reply));
}

/// A spilled output goes first, one chunk in flight at a time: its memory stays small.
void WorkerLoop::send_output_chunks() {
  while (core_.has_output_chunk()) {
    std::string chunk = channel_.take_buffer();
    core_.next_output_chunk(chunk);
    send_alone(Tag::output, std::move(chunk));
  }
}

/// Sends a chunk (of output, of submitted tasks) and waits until it is gone: one in
/// flight at a time.
void WorkerLoop::send_alone(Tag tag, std::string message) {
  channel_.send(master_rank, tag, std::move(message));
  const auto deadline = clock::now() + output_chunk_timeout;
  while (channel_.progress_sends() > 0) {
    if (clock::now() > deadline)
      throw std::runtime_error("the master took no chunk for " +
                               std::to_string(std::chrono::seconds(output_chunk_timeout).count()) + " s");
    backoff_.pause();
  }
  backoff_.reset();
}

void WorkerLoop::fail(const std::string& what) {
  channel_.send(master_rank, Tag::failure, what);
  while (!core_.stopping()) {  // tasks that still come are not run: the master is stopping
    while (auto envelope = channel_.poll(inbox_, master_rank))
      if (envelope->tag == Tag::stop) core_.receive(envelope->tag, inbox_);
    channel_.progress_sends();
    if (!core_.stopping()) backoff_.pause();
  }
}

void WorkerLoop::finish() {
  const Exchange exchange = [&](const std::vector<std::string>& outgoing) {
    return channel_.exchange_among_workers(outgoing);
  };
  try {
    core_.finish(exchange);
  } catch (const std::exception& e) {
    // The other workers wait for this one inside the reduce's exchange: only ending the
    // job frees them.
    if (core_.reducing()) throw;
    channel_.send(master_rank, Tag::failure, e.what());
  }
  channel_.send(master_rank, Tag::goodbye,
                core_.goodbye(idle_s_, channel_.messages_received(), channel_.messages_sent() + 1));
  wait_for_sends(last_sends_timeout);
}

void WorkerLoop::wait_for_sends(clock::duration limit) {
  const auto deadline = clock::now() + limit;
  while (channel_.progress_sends() > 0 && clock::now() < deadline) backoff_.pause();
}

}  // namespace

void run_worker(Channel& channel, const JobRoles& job, const Config& config, std::uint32_t run, int rank,
                GroupLink* group) {
  // A resume tells the ranks that got mpirun's SIGTERM from one that died (poison tasks).
  if (config.output_dir) mark_stop_signal_in(stop_marker_path(*config.output_dir, rank, run));
  WorkerLoop loop(channel, job, config, run, rank, group);
  try {
    loop.work();
  } catch (const std::exception& e) {
    // A reduce job's map output lives in the workers' memory: the run cannot go on.
    if (job.reduce) throw;
    loop.fail(e.what());
  }
  loop.release_group();
  loop.finish();
}

}  // namespace taskfarm

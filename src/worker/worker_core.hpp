#pragma once
// A worker's work, apart from how messages travel: what it does with the master's
// messages, over MPI (mpi/worker_loop.cpp) or in the master's own process (LocalTransport).

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/messages.hpp"
#include "job/config.hpp"
#include "job/job.hpp"
#include "resume/output_dir.hpp"
#include "worker/executor.hpp"
#include "worker/group_runner.hpp"

namespace taskfarm {

/// All-to-all among the workers: outgoing[i] goes to worker i; returns what each sent here.
using Exchange = std::function<std::vector<std::string>(const std::vector<std::string>&)>;

/// A worker's work, apart from how messages travel: it gives the task batches it gets to
/// its Executor, gathers their results into a reply (the part file, the spilled
/// outputs), and after the stop message runs the reduce phase and says goodbye.
class WorkerCore {
 public:
  /// `rank` names the worker's part and reduce files; `workers` is how many there are.
  /// With `group`, the worker is a group's leader: its group runs every batch with it, or
  /// (a job of process slots) it runs each task for the group.
  WorkerCore(const JobRoles& job, const Config& config, std::uint32_t run, int rank, int workers,
             GroupLink* group = nullptr);
  /// A message from the master: Tag::tasks (one or more batches), Tag::hold or Tag::stop.
  void receive(Tag tag, std::string_view body);
  bool stopping() const { return stopping_; }
  /// Task batches held: queued, or in the slot runner.
  std::size_t batches_held() const;
  /// Runs one batch, or one step of the process slots (waiting up to `slot_wait_s`).
  /// Returns whether the reply should go now: when at least as many batches are finished
  /// as are still held (the master refills while the rest runs), or the reply is large.
  bool work(double slot_wait_s);
  bool has_reply() const { return !reply_.empty(); }
  /// The reply gathered so far, its part file flushed first: the journal never vouches for
  /// output that is not in the file. `next` becomes the buffer of the next reply.
  std::string take_reply(std::string next);
  /// Whether a task's spilled output (see FinishedTask::output) is still to be sent: as
  /// Tag::output chunks, after the reply's part file flush and before the reply itself.
  bool has_output_chunk() const { return !outputs_.empty(); }
  /// The next chunk's message body into `body` (cleared first).
  void next_output_chunk(std::string& body);
  /// Whether the stop message asks for the reduce phase.
  bool reducing() const { return stop_kind_ == StopKind::finished && job_.reduce != nullptr; }
  /// After the stop message: runs the reduce phase when the run finished, and closes the
  /// files. Throws on an I/O error.
  void finish(const Exchange& exchange);
  /// A group's leader: tells its group that no batch follows (whatever the executor: the
  /// other ranks of a cmd task's group only wait for this).
  void release_group() {
    if (group_) stop_group(*group_);
  }
  /// Jobs whose tasks submit tasks: once a megabyte of them is waiting, `send` takes them
  /// (a Tag::submitted message), so that the worker never holds them all.
  void stream_submissions(std::function<void(std::string)> send);
  /// The goodbye message's body: what only the worker can measure.
  std::string goodbye(double idle_s, std::uint64_t messages_received, std::uint64_t messages_sent) const;
  /// Seconds spent in work().
  double busy_s() const { return busy_s_; }
  /// The latest clock reading taken: a batch's arrival, or the end of work().
  std::chrono::steady_clock::time_point last_reading() const { return last_reading_; }

  using clock = std::chrono::steady_clock;

 private:
  const JobRoles& job_;
  std::optional<std::string> output_dir_;
  std::uint32_t run_;
  int rank_;
  int workers_;
  std::optional<PartFile> part_;
  Submissions submitted_;  // by the tasks run since the last reply (JobRoles::submits)
  GroupLink* group_;  // a group's leader's link to its group
  std::unique_ptr<Executor> executor_;
  bool streams_submissions_;  // a group's leader submits what its group agreed on, with the reply
  // When each batch held arrived, and when the newest finished one did: a reply says how
  // long the worker held that batch, so the master can tell the path's own delay.
  std::deque<clock::time_point> arrivals_;
  clock::time_point newest_done_arrival_;
  clock::time_point last_reading_;  // the latest clock reading, taken for other reasons
  clock::time_point answered_at_ = clock::now();  // the last reply, or work given while idle: attempts' deadlines
  void finished_batches(std::size_t n);
  std::string reply_buf_;
  ResultBatchWriter reply_{reply_buf_};
  std::size_t finished_since_reply_ = 0;
  std::deque<std::pair<std::uint64_t, SpillFile>> outputs_;  // task ID, spilled output, to send
  std::uint64_t output_sent_ = 0;                           // bytes of outputs_.front() sent
  bool stopping_ = false;
  StopKind stop_kind_ = StopKind::abandoned;
  std::vector<PartSlice> earlier_output_;  // a resumed reduce job's map output to read back
  double busy_s_ = 0;
  std::uint64_t bytes_written_ = 0;  // to the part and reduce files, once closed
};

}  // namespace taskfarm

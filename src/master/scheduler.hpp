#pragma once
// Task bookkeeping and batching policy for the master, free of MPI.
//
// Workers are numbered 0..W-1 here (rank = index + 1). A worker may hold several task
// batches (queued or running), so it has its next batch at hand and never waits on the
// master between tasks. How many: enough to cover its path's delay, at least 2 and at
// most `window`. The path's delay is measured per worker: from a batch's send to the
// reply that acknowledged it, less the time the worker held it, plus the master's
// turnaround until it sends the next batch, each the largest seen in the last second or
// two (a TCP path's delay jumps by milliseconds when a packet waits for a busy core). The
// worker replies when half of what it holds is done, so it holds three times that delay
// (at least `prefetch_s`): the half still queued covers the delay, with room to spare. Trivial tasks thus get a deep
// pipeline, a slow network (TCP between hosts) a deeper one, while long tasks are never
// queued behind each other on one worker (which would stretch the makespan).

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "job/config.hpp"

namespace taskfarm {

/// The largest sample of the last one to two windows of time: follows a rise at once and
/// forgets a spike after a window or two.
class RecentMax {
 public:
  static constexpr double window_s = 1.0;
  void add(double sample, double now_s);
  double value() const { return current_ > previous_ ? current_ : previous_; }

 private:
  double start_s_ = 0;
  double current_ = 0;
  double previous_ = 0;
};

struct WorkerLoad {
  std::uint32_t batches_in_flight = 0;
  std::uint64_t tasks_in_flight = 0;
  std::uint64_t tasks_done = 0;
  std::uint64_t tasks_failed = 0;
  double busy_s = 0;
  double max_task_s = 0;
  std::uint64_t replies = 0;
  RecentMax round_trip_s;  // the path's delay (see the file comment)
  RecentMax turnaround_s;  // the master's, from a reply to the next batch sent
};

/// What one worker reply acknowledged.
struct ReplySummary {
  std::uint32_t batches = 0;  // task batches completed
  std::uint64_t done = 0;     // tasks that succeeded
  std::uint64_t failed = 0;   // tasks that failed
  double busy_s = 0;          // kernel time of those tasks
  double max_task_s = 0;      // the longest of them
  std::uint64_t returned = 0; // tasks handed back unrun (TaskStatus::not_started)
};

class Scheduler {
 public:
  Scheduler(int workers, int window, BatchPolicy policy);

  int workers() const { return static_cast<int>(load_.size()); }
  /// The next worker that may take another batch, round-robin.
  std::optional<int> next_ready_worker();
  /// Moves the worker at the front of the ready queue to its back (it had nothing to
  /// take this time). Returns how many workers are ready.
  std::size_t defer_front();
  /// Batches `worker` may hold right now (between 2 and the window).
  std::uint32_t batch_limit(int worker) const;
  /// How many tasks the next batch should hold. `undispatched` is the number of tasks not
  /// yet sent, when known: guided self-scheduling shrinks batches near the end so the last
  /// tasks don't straggle on one worker.
  std::uint32_t next_batch_size(std::optional<std::uint64_t> undispatched) const;

  /// `now_s` (any clock, seconds; negative if not read) times the master's turnaround.
  void on_sent(int worker, std::uint32_t tasks, double now_s = -1);
  void on_reply(int worker, const ReplySummary& reply);
  /// A reply that acknowledged batches arrived at `now_s`: `round_trip_s` from the send
  /// of the newest of them, less the time the worker held it.
  void on_round_trip(int worker, double round_trip_s, double now_s);
  /// The work `worker` should hold: what its path needs, within the policy's bounds.
  double prefetch_s(int worker) const;
  /// `worker` gets nothing more until it has replied for all it holds (a task that may
  /// have killed its rank runs alone on it).
  void hold_alone(int worker) { alone_[static_cast<std::size_t>(worker)] = 1; }
  /// The worker gets no more work and its tasks no longer count as in flight (they are
  /// handed out again as backup attempts).
  void retire(int worker);
  bool retired(int worker) const { return retired_[static_cast<std::size_t>(worker)] != 0; }

  bool idle() const { return tasks_in_flight_ == 0; }
  std::uint64_t tasks_in_flight() const { return tasks_in_flight_; }
  const WorkerLoad& load(int worker) const { return load_[static_cast<std::size_t>(worker)]; }
  /// Current estimate of one task's run time, once a reply has been seen.
  std::optional<double> mean_task_s() const { return mean_task_s_; }

 private:
  BatchPolicy policy_;
  std::vector<WorkerLoad> load_;
  void make_ready_if_room(int worker);
  bool has_room(int worker) const;

  std::uint32_t window_;
  std::deque<int> ready_;     // workers with room for another batch, each at most once
  std::vector<char> queued_;  // worker is in ready_
  std::vector<char> retired_;
  std::vector<char> alone_;  // hold_alone() until its batches are acknowledged (cleared in on_reply)
  std::vector<double> reply_at_s_;  // when a reply made room, until the next send (negative: none)
  std::uint64_t tasks_in_flight_ = 0;
  std::optional<double> mean_task_s_;
};

}  // namespace taskfarm

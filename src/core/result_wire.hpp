#pragma once
// The result batch: how a worker's reply lays out its tasks' outcomes (see wire.hpp).
// MPI-free and unit-tested.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/wire.hpp"

namespace taskfarm {

/// One task's outcome. For ok tasks, `data` is the task's output (empty when the worker
/// wrote it to its part file); for failed tasks it is the error message.
struct ResultView {
  std::uint64_t id;
  TaskStatus status;
  double run_s;
  std::string_view data;
};

/// How many of the tasks a worker streamed ahead of a reply (Tag::submitted) count: those
/// of failed attempts are taken back. Heads each streamed chunk and a reply's submissions.
struct SubmittedHead {
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
};

/// A reply's submissions: the streamed ones that count, then `count` more, encoded.
struct Submitted {
  SubmittedHead head;
  std::uint64_t count = 0;
  std::string_view encoded;
};

/// Fixed header in front of every result batch.
struct ResultBatchHeader {
  std::uint32_t batches_completed;  // task batches this reply acknowledges
  std::uint32_t results;
  double busy_s;                    // time spent in kernels for these results
  std::uint64_t part_bytes;         // the worker's part file length, these results included
  double held_s;                    // from the newest acknowledged batch's arrival to this reply
};

/// Consecutive results with one status, timed together: a worker reads the clock once per
/// run, not per task (see BatchRunner). `run_s` is the run's total time, `max_s` its
/// longest task as measured (exact for a run of one task) or estimated.
struct ResultRunHeader {
  std::uint64_t first_id;
  std::uint32_t count;
  TaskStatus status;
  double run_s;
  double max_s;
  std::uint32_t record_bytes;  // bytes after this header: the data, then the lengths
  std::uint32_t with_data;     // 1: the tasks' data and a u32 length per task follow; 0: nothing
};

/// A run as read: its header, its tasks' data back to back, and their lengths.
struct ResultRun {
  ResultRunHeader header;
  std::string_view data;     // every task's data, in order
  std::string_view lengths;  // u32 per task (with_data only)
  /// One task's time: exact for a run of one task, else the run's mean.
  double task_s() const { return header.count == 1 ? header.run_s : header.run_s / header.count; }
};

/// Reads the tasks of a run in order.
class ResultRunTasks {
 public:
  explicit ResultRunTasks(const ResultRun& run) : run_(run), data_(run.data), lengths_(run.lengths) {}
  bool next(ResultView& result) {
    if (index_ == run_.header.count) return false;
    result.id = run_.header.first_id + index_++;
    result.status = run_.header.status;
    result.run_s = run_.task_s();
    result.data = run_.header.with_data ? wire::get_bytes(data_, wire::get<std::uint32_t>(lengths_)) : std::string_view();
    return true;
  }

 private:
  const ResultRun& run_;
  std::string_view data_;
  std::string_view lengths_;
  std::uint32_t index_ = 0;
};

/// Result batch layout: ResultBatchHeader, then runs, each a ResultRunHeader followed by
/// its tasks' data back to back and then their u32 lengths. A kernel appends its output
/// straight into the reply buffer (begin_task/end_task around the call), so output is
/// never copied on the worker, and a run's output reaches rank 0's sink in one piece.
class ResultBatchWriter {
 public:
  explicit ResultBatchWriter(std::string& buf) : buf_(buf) { reset(); }

  void reset() {
    buf_.clear();
    wire::put(buf_, ResultBatchHeader{0, 0, 0.0, 0, 0.0});
    run_open_ = false;
  }
  bool empty() const { return header().results == 0 && header().batches_completed == 0; }
  std::size_t bytes() const { return buf_.size(); }
  std::uint32_t results() const { return header().results; }
  std::uint32_t batches_completed() const { return header().batches_completed; }

  /// Starts a run at task `first_id`; `with_data`: its tasks' data goes in the reply.
  void open_run(std::uint64_t first_id, TaskStatus status, bool with_data) {
    run_at_ = buf_.size();
    run_ = ResultRunHeader{first_id, 0, status, 0.0, 0.0, 0, with_data ? 1u : 0u};
    wire::put(buf_, run_);
    lengths_.clear();
    run_open_ = true;
  }
  bool run_open() const { return run_open_; }
  /// The ID a task must have to join the open run.
  std::uint64_t run_next_id() const { return run_.first_id + run_.count; }
  std::uint32_t run_count() const { return run_.count; }
  /// Around one task of the open run: its data goes to out() in between.
  void begin_task() { task_at_ = buf_.size(); }
  std::string& out() { return buf_; }
  void end_task() {
    if (run_.with_data) lengths_.push_back(static_cast<std::uint32_t>(buf_.size() - task_at_));
    ++run_.count;
  }
  /// Ends the open run; a run without tasks leaves no trace.
  void close_run(double run_s, double max_s) {
    run_open_ = false;
    if (run_.count == 0) {
      buf_.resize(run_at_);
      return;
    }
    buf_.append(reinterpret_cast<const char*>(lengths_.data()), lengths_.size() * sizeof(std::uint32_t));
    run_.run_s = run_s;
    run_.max_s = max_s;
    run_.record_bytes = static_cast<std::uint32_t>(buf_.size() - run_at_ - sizeof run_);
    std::memcpy(buf_.data() + run_at_, &run_, sizeof run_);
    ResultBatchHeader h = header();
    h.results += run_.count;
    h.busy_s += run_s;
    set_header(h);
  }
  /// `count` consecutive tasks from `first_id` without data, as one timed run.
  void add_run(std::uint64_t first_id, std::uint32_t count, TaskStatus status, double run_s, double max_s) {
    open_run(first_id, status, false);
    run_.count = count;
    close_run(run_s, max_s);
  }
  /// One task as a run of its own.
  void add(std::uint64_t id, TaskStatus status, double run_s, std::string_view data) {
    open_run(id, status, true);
    begin_task();
    buf_.append(data);
    end_task();
    close_run(run_s, run_s);
  }
  void set_part_bytes(std::uint64_t bytes) {
    ResultBatchHeader h = header();
    h.part_bytes = bytes;
    set_header(h);
  }
  void set_held_s(double held_s) {
    ResultBatchHeader h = header();
    h.held_s = held_s;
    set_header(h);
  }
  void complete_batch() {
    ResultBatchHeader h = header();
    ++h.batches_completed;
    set_header(h);
  }
  /// The tasks that the reply's successful tasks submitted (Submit<T>): after the last
  /// run, a SubmittedHead (what counts of those streamed ahead), a u64 count, then the
  /// tasks, each after its u32 length. Added last; nothing when there is nothing to say.
  void add_submissions(const SubmittedHead& head, std::uint64_t count, std::string_view encoded) {
    if (count == 0 && head.count == 0) return;
    wire::put(buf_, head);
    wire::put(buf_, count);
    buf_.append(encoded);
  }

 private:
  ResultBatchHeader header() const {
    ResultBatchHeader h;
    std::memcpy(&h, buf_.data(), sizeof h);
    return h;
  }
  void set_header(const ResultBatchHeader& h) { std::memcpy(buf_.data(), &h, sizeof h); }

  std::string& buf_;
  bool run_open_ = false;
  std::size_t run_at_ = 0;
  std::size_t task_at_ = 0;
  ResultRunHeader run_{};
  std::vector<std::uint32_t> lengths_;
};

class ResultBatchReader {
 public:
  explicit ResultBatchReader(std::string_view reply) : rest_(reply) {
    header_ = wire::get<ResultBatchHeader>(rest_);
    remaining_ = header_.results;
  }
  const ResultBatchHeader& header() const { return header_; }
  bool next_run(ResultRun& run) {
    if (remaining_ == 0) return false;
    run.header = wire::get<ResultRunHeader>(rest_);
    const ResultRunHeader& h = run.header;
    const std::size_t lengths = h.with_data ? std::size_t{h.count} * sizeof(std::uint32_t) : 0;
    if (h.count == 0 || h.count > remaining_ || h.with_data > 1 || (!h.with_data && h.record_bytes != 0) ||
        h.record_bytes < lengths)
      throw WireError("malformed result batch");
    remaining_ -= h.count;
    const std::string_view records = wire::get_bytes(rest_, h.record_bytes);
    run.data = records.substr(0, records.size() - lengths);
    run.lengths = records.substr(records.size() - lengths);
    return true;
  }
  /// After the runs (those not read yet are skipped): the tasks the reply's tasks
  /// submitted, as ResultBatchWriter::add_submissions wrote them (all zero when none).
  Submitted submissions() {
    ResultRun skipped{};
    while (next_run(skipped)) {
    }
    Submitted submitted;
    if (rest_.empty()) return submitted;
    submitted.head = wire::get<SubmittedHead>(rest_);
    submitted.count = wire::get<std::uint64_t>(rest_);
    submitted.encoded = std::exchange(rest_, std::string_view());
    return submitted;
  }
  /// Task by task (tests and cold paths; the master reads runs).
  bool next(ResultView& result) {
    while (!tasks_ || !tasks_->next(result)) {
      if (!next_run(run_)) return false;
      tasks_.emplace(run_);
    }
    return true;
  }

 private:
  std::string_view rest_;
  ResultBatchHeader header_{};
  std::uint32_t remaining_ = 0;
  ResultRun run_{};
  std::optional<ResultRunTasks> tasks_;
};

}  // namespace taskfarm

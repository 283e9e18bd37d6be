#pragma once
// Byte layouts of the hot messages. They are plain bytes so that a batch of thousands of
// tasks travels as one contiguous MPI message with no serialization step. This file: the
// task batches and what both layouts share; result_wire.hpp: the result batches.
// Everything here is MPI-free and unit-tested.

#include <cstdint>
#include <cstddef>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace taskfarm {

/// A task as the master hands it out: a stable 0-based ID and an opaque payload.
struct TaskView {
  std::uint64_t id;
  std::uint32_t attempt;  // 0 for the first run, 1 for the first retry, ...
  std::string_view payload;
};

/// How a task handed to a worker came back. `not_started`: the worker was told to start
/// no more tasks (the walltime guard) and hands it back unrun, for a later run.
/// failed_for_good: the kernel threw taskfarm::PermanentError; the task is not retried.
enum class TaskStatus : std::int32_t { ok = 0, failed = 1, not_started = 2, failed_for_good = 3 };

class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace wire {

template <typename T>
void put(std::string& buf, const T& value) {
  buf.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
T get(std::string_view& in) {
  if (in.size() < sizeof(T)) throw WireError("truncated message");
  T value;
  std::memcpy(&value, in.data(), sizeof value);
  in.remove_prefix(sizeof value);
  return value;
}

inline std::string_view get_bytes(std::string_view& in, std::size_t n) {
  if (in.size() < n) throw WireError("truncated message");
  std::string_view bytes = in.substr(0, n);
  in.remove_prefix(n);
  return bytes;
}

}  // namespace wire

/// The first `bytes` bytes of a part file: what a journal vouches for.
struct PartSlice {
  std::string path;
  std::uint64_t bytes;
};

inline void put_part_slices(std::string& buf, const std::vector<PartSlice>& slices) {
  wire::put(buf, static_cast<std::uint32_t>(slices.size()));
  for (const PartSlice& s : slices) {
    wire::put(buf, s.bytes);
    wire::put(buf, static_cast<std::uint32_t>(s.path.size()));
    buf.append(s.path);
  }
}

inline std::vector<PartSlice> get_part_slices(std::string_view& in) {
  std::vector<PartSlice> slices(wire::get<std::uint32_t>(in));
  for (PartSlice& s : slices) {
    s.bytes = wire::get<std::uint64_t>(in);
    s.path = std::string(wire::get_bytes(in, wire::get<std::uint32_t>(in)));
  }
  return slices;
}

/// Payloads that are one plain value, as the square and sleep jobs use.
template <typename T>
void set_value_payload(std::string& payload, T value) {
  payload.assign(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
T value_payload(std::string_view payload) {
  if (payload.size() != sizeof(T)) throw WireError("malformed task payload");
  T value;
  std::memcpy(&value, payload.data(), sizeof value);
  return value;
}

/// Consecutive task IDs with the same attempt number: a task batch is a few of these
/// (fresh tasks are consecutive; retries and resumed gaps break a span). When every
/// payload of the span has one size, no task carries a length.
struct TaskSpan {
  static constexpr std::uint32_t variable = UINT32_MAX;  // payload_bytes: each task has a u32 length
  std::uint64_t first_id;
  std::uint32_t count;
  std::uint32_t attempt;
  std::uint32_t payload_bytes;
  std::uint32_t reserved;
};

/// Task batch layout: u32 task count, then spans, each a TaskSpan followed by its
/// `count` payloads (each after a u32 length if the span's payload_bytes is variable).
/// IDs, attempts and (mostly) lengths cost nothing per task.
///
/// A Tag::tasks message holds one or more batches, each after its u32 byte length: the
/// batches the master hands one worker in one pass travel together, so that a refill of
/// 50 one-task batches costs one MPI message, not 50. next_framed_batch() splits it.
class TaskBatchWriter {
 public:
  TaskBatchWriter() = default;
  explicit TaskBatchWriter(std::string& buf) { start(buf); }
  /// Starts a batch in `buf` (its old contents dropped); the writer's own storage is
  /// reused, so one writer can serve a run's every batch without allocating.
  void start(std::string& buf) {
    buf.clear();
    begin(buf, false);
  }
  /// Starts a batch at the end of a Tag::tasks message, after its byte length.
  void start_framed(std::string& message) { begin(message, true); }
  /// Removes the batch started last (an empty one, say) from its buffer.
  void discard() { buf_->resize(base_ - (framed_ ? sizeof(std::uint32_t) : 0)); }
  void add(std::uint64_t id, std::string_view payload, std::uint32_t attempt = 0) {
    std::string& buf = *buf_;
    if (spans_.empty() || id != next_id_ || attempt != spans_.back().attempt) {
      span_at_ = buf.size();
      spans_.push_back(TaskSpan{id, 0, attempt, static_cast<std::uint32_t>(payload.size()), 0});
      wire::put(buf, spans_.back());
    }
    TaskSpan& span = spans_.back();
    if (span.payload_bytes != TaskSpan::variable && payload.size() != span.payload_bytes) make_variable();
    ++span.count;
    next_id_ = id + 1;
    if (span.payload_bytes == TaskSpan::variable) wire::put(buf, static_cast<std::uint32_t>(payload.size()));
    buf.append(payload);
    ++count_;
    write_headers(span);
  }
  /// `count` first attempts of consecutive tasks from `first_id`, whose payloads of
  /// `payload_bytes` each stand back to back at `payloads`: what add() would make of them
  /// one by one, in one append.
  void add_run(std::uint64_t first_id, std::uint32_t count, std::uint32_t payload_bytes, const char* payloads) {
    if (count == 0) return;
    std::string& buf = *buf_;
    if (spans_.empty() || first_id != next_id_ || spans_.back().attempt != 0 ||
        spans_.back().payload_bytes != payload_bytes) {
      span_at_ = buf.size();
      spans_.push_back(TaskSpan{first_id, 0, 0, payload_bytes, 0});
      wire::put(buf, spans_.back());
    }
    TaskSpan& span = spans_.back();
    span.count += count;
    next_id_ = first_id + count;
    buf.append(payloads, static_cast<std::size_t>(count) * payload_bytes);
    count_ += count;
    write_headers(span);
  }
  std::uint32_t count() const { return count_; }
  /// The batch's own bytes (without its length, if framed).
  std::size_t bytes() const { return buf_->size() - base_; }
  std::string_view batch() const { return std::string_view(*buf_).substr(base_); }
  /// The batch's spans, in order: what a master keeps to replay the batch by ID.
  const std::vector<TaskSpan>& spans() const { return spans_; }

 private:
  /// A payload of another size joins the span: every task gets its length (once per
  /// span at most, and at once for sources of varying sizes).
  void make_variable() {
    std::string& buf = *buf_;
    TaskSpan& span = spans_.back();
    const std::size_t records = span_at_ + sizeof(TaskSpan);
    std::string fixed = buf.substr(records);
    buf.resize(records);
    for (std::uint32_t i = 0; i < span.count; ++i) {
      wire::put(buf, span.payload_bytes);
      buf.append(fixed, static_cast<std::size_t>(i) * span.payload_bytes, span.payload_bytes);
    }
    span.payload_bytes = TaskSpan::variable;
  }

  /// The span's header, the batch's task count and, if framed, its length: kept right
  /// after every add, so that the buffer is a whole batch at any moment.
  void write_headers(const TaskSpan& span) {
    std::string& buf = *buf_;
    std::memcpy(buf.data() + span_at_, &span, sizeof span);
    std::memcpy(buf.data() + base_, &count_, sizeof count_);
    if (framed_) {
      const auto length = static_cast<std::uint32_t>(bytes());
      std::memcpy(buf.data() + base_ - sizeof length, &length, sizeof length);
    }
  }

  void begin(std::string& buf, bool framed) {
    buf_ = &buf;
    framed_ = framed;
    if (framed) wire::put<std::uint32_t>(buf, sizeof(std::uint32_t));  // an empty batch's length
    base_ = buf.size();
    wire::put<std::uint32_t>(buf, 0);
    count_ = 0;
    spans_.clear();
  }

  std::string* buf_ = nullptr;
  std::size_t base_ = 0;  // where the batch starts in *buf_
  bool framed_ = false;
  std::uint32_t count_ = 0;
  std::vector<TaskSpan> spans_;
  std::size_t span_at_ = 0;
  std::uint64_t next_id_ = 0;
};

/// The next batch of a Tag::tasks message (see TaskBatchWriter), or nothing at its end.
inline std::optional<std::string_view> next_framed_batch(std::string_view& message) {
  if (message.empty()) return std::nullopt;
  return wire::get_bytes(message, wire::get<std::uint32_t>(message));
}

class TaskBatchReader {
 public:
  explicit TaskBatchReader(std::string_view batch) : rest_(batch) {
    remaining_ = wire::get<std::uint32_t>(rest_);
  }
  /// Tasks not read yet.
  std::uint32_t size() const { return remaining_; }
  /// The next span whole, its payloads skipped (a reader that needs only the IDs). Not
  /// to be mixed with next().
  bool next_span(TaskSpan& span) {
    if (remaining_ == 0) return false;
    span = wire::get<TaskSpan>(rest_);
    if (span.count == 0 || span.count > remaining_) throw WireError("malformed task batch");
    remaining_ -= span.count;
    if (span.payload_bytes != TaskSpan::variable) {
      wire::get_bytes(rest_, static_cast<std::size_t>(span.count) * span.payload_bytes);
    } else {
      for (std::uint32_t i = 0; i < span.count; ++i) wire::get_bytes(rest_, wire::get<std::uint32_t>(rest_));
    }
    return true;
  }
  /// The next task into `task` (a TaskView, or any struct with id, attempt and payload:
  /// a worker reads each task straight into its attempt's context).
  template <class Task>
  bool next(Task& task) {
    if (remaining_ == 0) return false;
    if (group_left_ == 0) {
      group_ = wire::get<TaskSpan>(rest_);
      if (group_.count == 0 || group_.count > remaining_) throw WireError("malformed task batch");
      group_left_ = group_.count;
    }
    --remaining_;
    --group_left_;
    task.id = group_.first_id++;
    task.attempt = group_.attempt;
    const std::uint32_t length =
        group_.payload_bytes == TaskSpan::variable ? wire::get<std::uint32_t>(rest_) : group_.payload_bytes;
    task.payload = wire::get_bytes(rest_, length);
    return true;
  }

 private:
  std::string_view rest_;
  std::uint32_t remaining_;
  std::uint32_t group_left_ = 0;
  TaskSpan group_{};
};

}  // namespace taskfarm

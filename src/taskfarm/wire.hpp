#pragma once
// Byte layouts of the hot messages. They are plain bytes so that a batch of thousands of
// tasks travels as one contiguous MPI message with no serialization step.
// Everything here is MPI-free and unit-tested.

#include <cstdint>
#include <cstring>
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
enum class TaskStatus : std::int32_t { ok = 0, failed = 1, not_started = 2 };

/// One task's outcome. For ok tasks, `data` is the task's output (empty when the worker
/// wrote it to its part file); for failed tasks it is the error message.
struct ResultView {
  std::uint64_t id;
  TaskStatus status;
  double run_s;
  std::string_view data;
};

/// Fixed header in front of every result batch.
struct ResultBatchHeader {
  std::uint32_t batches_completed;  // task batches this reply acknowledges
  std::uint32_t results;
  double busy_s;                    // time spent in kernels for these results
  std::uint64_t part_bytes;         // the worker's part file length, these results included
};

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

/// Task batch layout: u32 count, then per task: u64 id, u32 attempt, u32 length, payload.
class TaskBatchWriter {
 public:
  explicit TaskBatchWriter(std::string& buf) : buf_(buf) {
    buf_.clear();
    wire::put<std::uint32_t>(buf_, 0);
  }
  void add(std::uint64_t id, std::string_view payload, std::uint32_t attempt = 0) {
    // One append for the record header: this runs ten million times a second.
    char header[sizeof id + 2 * sizeof(std::uint32_t)];
    const auto length = static_cast<std::uint32_t>(payload.size());
    std::memcpy(header, &id, sizeof id);
    std::memcpy(header + sizeof id, &attempt, sizeof attempt);
    std::memcpy(header + sizeof id + sizeof attempt, &length, sizeof length);
    buf_.append(header, sizeof header);
    buf_.append(payload);
    ++count_;
    std::memcpy(buf_.data(), &count_, sizeof count_);
  }
  std::uint32_t count() const { return count_; }

 private:
  std::string& buf_;
  std::uint32_t count_ = 0;
};

class TaskBatchReader {
 public:
  explicit TaskBatchReader(std::string_view batch) : rest_(batch) {
    remaining_ = wire::get<std::uint32_t>(rest_);
  }
  std::uint32_t size() const { return remaining_; }
  bool next(TaskView& task) {
    if (remaining_ == 0) return false;
    --remaining_;
    task.id = wire::get<std::uint64_t>(rest_);
    task.attempt = wire::get<std::uint32_t>(rest_);
    task.payload = wire::get_bytes(rest_, wire::get<std::uint32_t>(rest_));
    return true;
  }

 private:
  std::string_view rest_;
  std::uint32_t remaining_;
};

/// Result batch layout: ResultBatchHeader, then per result: u64 id, i32 status,
/// f64 run seconds, u32 length, data bytes. A kernel appends its output straight into
/// the reply buffer (begin/end around the call), so output is never copied on the worker.
class ResultBatchWriter {
 public:
  explicit ResultBatchWriter(std::string& buf) : buf_(buf) { reset(); }

  void reset() {
    buf_.clear();
    wire::put(buf_, ResultBatchHeader{0, 0, 0.0, 0});
  }
  bool empty() const { return header().results == 0 && header().batches_completed == 0; }
  std::size_t bytes() const { return buf_.size(); }
  std::uint32_t results() const { return header().results; }

  /// Starts a record; the caller appends the data to `out()` and then calls end().
  void begin(std::uint64_t id) {
    record_start_ = buf_.size();
    wire::put(buf_, id);
    wire::put(buf_, TaskStatus::ok);
    wire::put(buf_, 0.0);
    wire::put<std::uint32_t>(buf_, 0);
  }
  std::string& out() { return buf_; }
  /// Drops whatever the kernel appended (used when it failed half-way).
  void discard_data() { buf_.resize(record_start_ + record_header_size); }
  void end(TaskStatus status, double run_s) {
    const auto len = static_cast<std::uint32_t>(buf_.size() - record_start_ - record_header_size);
    char* rec = buf_.data() + record_start_ + sizeof(std::uint64_t);
    std::memcpy(rec, &status, sizeof status);
    std::memcpy(rec + sizeof status, &run_s, sizeof run_s);
    std::memcpy(rec + sizeof status + sizeof run_s, &len, sizeof len);
    ResultBatchHeader h = header();
    ++h.results;
    h.busy_s += run_s;
    set_header(h);
  }
  void add(std::uint64_t id, TaskStatus status, double run_s, std::string_view data) {
    begin(id);
    buf_.append(data);
    end(status, run_s);
  }
  void set_part_bytes(std::uint64_t bytes) {
    ResultBatchHeader h = header();
    h.part_bytes = bytes;
    set_header(h);
  }
  void complete_batch() {
    ResultBatchHeader h = header();
    ++h.batches_completed;
    set_header(h);
  }

  static constexpr std::size_t record_header_size =
      sizeof(std::uint64_t) + sizeof(TaskStatus) + sizeof(double) + sizeof(std::uint32_t);

 private:
  ResultBatchHeader header() const {
    ResultBatchHeader h;
    std::memcpy(&h, buf_.data(), sizeof h);
    return h;
  }
  void set_header(const ResultBatchHeader& h) { std::memcpy(buf_.data(), &h, sizeof h); }

  std::string& buf_;
  std::size_t record_start_ = 0;
};

class ResultBatchReader {
 public:
  explicit ResultBatchReader(std::string_view reply) : rest_(reply) {
    header_ = wire::get<ResultBatchHeader>(rest_);
    remaining_ = header_.results;
  }
  const ResultBatchHeader& header() const { return header_; }
  bool next(ResultView& result) {
    if (remaining_ == 0) return false;
    --remaining_;
    result.id = wire::get<std::uint64_t>(rest_);
    result.status = wire::get<TaskStatus>(rest_);
    result.run_s = wire::get<double>(rest_);
    result.data = wire::get_bytes(rest_, wire::get<std::uint32_t>(rest_));
    return true;
  }

 private:
  std::string_view rest_;
  ResultBatchHeader header_{};
  std::uint32_t remaining_ = 0;
};

}  // namespace taskfarm

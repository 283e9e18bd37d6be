#pragma once
// The master's frontier: the tasks that tasks submitted (Submit<T>) and that have not been
// handed out yet.
//
// Every submitted task is appended to a log in the order of its ID (the k-th submitted
// task has ID first_id + k). With an output directory the log is DIR/_temporary/submitted,
// written before the journal record that commits it, so that a resume rebuilds the
// frontier after a kill -9 from the log and the journal alone. Without one, the log is an
// unnamed temporary file, written only when memory runs short.
//
// The frontier is a stack of segments, one per reply that submitted tasks, taken from the
// top: the newest tasks go out first (depth first), which keeps the frontier small and a
// tree's work local. Only segments near the top keep their tasks in memory, within a byte
// budget; the others are read back from the log, in order, when they reach the top.
// MPI-free.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result_wire.hpp"
#include "core/spill_file.hpp"
#include "resume/journal.hpp"

namespace taskfarm {

class Frontier {
 public:
  /// IDs of submitted tasks start here; the source's tasks have IDs below it.
  static constexpr std::uint64_t first_id = std::uint64_t{1} << 40;
  static constexpr std::size_t default_memory = std::size_t{64} << 20;
  static constexpr std::size_t read_chunk = std::size_t{1} << 20;

  /// `log_path`: the durable log (--output); nullopt: a temporary file when needed.
  explicit Frontier(std::optional<std::string> log_path, std::size_t memory_budget = default_memory);
  /// --resume: the journal says that the first `committed` tasks of the log, `log_bytes`
  /// long, were submitted; those not in `done` are pending. What follows them is cut off.
  /// Throws std::runtime_error when the log does not hold them.
  void restore(std::uint64_t committed, std::uint64_t log_bytes, const IdRanges& done);
  /// A reply's submissions, `count` tasks each after its u32 length: they take the next
  /// IDs and go on top. Throws WireError when `encoded` does not hold them.
  void add(std::uint64_t count, std::string_view encoded);
  /// Tasks that `worker` streamed ahead of its reply (Tag::submitted), staged in a
  /// temporary file until the reply: `head` first cuts the staged tasks to those that
  /// still count (a failed attempt's are taken back). Throws WireError on a bad chunk.
  void stage(int worker, const SubmittedHead& head, std::string_view encoded);
  /// The reply of `worker`: its staged tasks that count (`head`) are added, the rest dropped.
  void commit_staged(int worker, const SubmittedHead& head);
  /// A reply that does not count (its worker was retired): its staged tasks are dropped.
  void drop_staged(int worker) { staged_.erase(worker); }
  /// The next task to hand out; false when none is pending. `payload` stays valid until
  /// the next call.
  bool next(std::uint64_t& id, std::string_view& payload);
  /// Writes what add() buffered to the durable log: before the journal record that
  /// commits it.
  void flush();

  std::uint64_t pending() const { return pending_; }
  bool empty() const { return pending_ == 0; }
  /// Tasks submitted, in every run (the next ID is first_id + submitted()).
  std::uint64_t submitted() const { return submitted_; }
  /// Submitted tasks that earlier runs completed (restore()).
  std::uint64_t done_before() const { return done_before_; }
  /// The log's length with every submitted task in it (durable log).
  std::uint64_t log_bytes() const { return log_end_; }
  /// Bytes of tasks held in memory.
  std::size_t cached_bytes() const { return cached_bytes_; }

 private:
  static constexpr std::uint64_t no_file = UINT64_MAX;
  struct Segment {
    std::uint64_t next_id = 0;
    std::uint64_t left = 0;
    std::uint64_t file_at = no_file;  // the log offset of the next task, once it is in the log
    std::string cache;                // tasks in memory, the next one at cache_at
    std::size_t cache_at = 0;
  };
  struct Staged {
    SpillFile file;
    std::uint64_t count = 0;
    void cut(const SubmittedHead& head);
  };
  void open_log(std::uint64_t keep);
  void evict();
  void load(Segment& segment);

  std::optional<std::string> log_path_;  // the durable log, or none (a temporary file)
  std::size_t budget_;
  SpillFile log_;
  std::string unwritten_;       // durable: added, not yet written to the log
  std::uint64_t log_end_ = 0;   // the log's length, unwritten_ included
  std::vector<Segment> segments_;
  std::size_t lowest_cached_ = 0;  // no segment below this index holds a cache
  std::size_t cached_bytes_ = 0;
  std::uint64_t pending_ = 0;
  std::uint64_t submitted_ = 0;
  std::uint64_t done_before_ = 0;
  std::map<int, Staged> staged_;  // by worker
};

}  // namespace taskfarm

#pragma once
// The resume journal, DIR/_journal: an append-only file of checksummed records, written
// by the master only. A record says which tasks a reply completed and how long the
// worker's part file was once their results were in it. A rerun with --resume reads it
// back, cuts every part file to its journaled length and skips the completed tasks, so
// after a kill at any moment nothing is lost and nothing is done twice. A torn last
// record (the kill hit a write) is dropped; damage anywhere else is an error.
// MPI-free.

#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace taskfarm {

class JournalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Task IDs as sorted, disjoint [first, last) ranges.
class IdRanges {
 public:
  void add(std::uint64_t first, std::uint64_t last);
  bool contains(std::uint64_t id) const;
  std::uint64_t count() const { return count_; }
  const std::map<std::uint64_t, std::uint64_t>& ranges() const { return ranges_; }

 private:
  std::map<std::uint64_t, std::uint64_t> ranges_;  // first -> last
  std::uint64_t count_ = 0;
};

/// `count` consecutive task IDs from `first`.
struct IdRun {
  std::uint64_t first;
  std::uint64_t count;
};

/// One part file of one run: DIR/_temporary/rank-RRRRR.run-NNN.
struct PartKey {
  std::uint32_t run;
  std::int32_t rank;
  bool operator<(const PartKey& o) const { return std::pair(run, rank) < std::pair(o.run, o.rank); }
};

/// The tasks submitted by tasks (Frontier) once a reply is booked: how many, and the
/// length of the log that holds them.
struct SubmittedMark {
  std::uint64_t count = 0;
  std::uint64_t log_bytes = 0;
};

/// What a journal says.
struct JournalState {
  std::string identity;  // the job and its parameters; a resume must match it
  std::uint32_t runs = 0;
  IdRanges done;
  std::map<PartKey, std::uint64_t> part_bytes;  // journaled length of each part file
  /// Run -> rank -> the tasks it held when the master got a stop signal (a worker rank
  /// that died reaches the master as mpirun's SIGTERM).
  std::map<std::uint32_t, std::map<std::int32_t, IdRanges>> in_flight;
  /// The submitted tasks committed: those of the last record that says.
  SubmittedMark submitted;
};

/// What the runs that died say about the tasks they were running. A rank "died" in a run
/// if the run recorded its tasks in flight and the rank itself got no stop signal (no
/// stop marker: see mark_stop_signal_in): it crashed, or was killed with SIGKILL.
struct CrashHistory {
  /// Tasks held by a rank that died, in any run: a resumed run hands them out one at a
  /// time, alone on their worker, before the tasks near them.
  IdRanges suspects;
  /// Poison tasks, by ID, with the number of runs that died with them in flight: held by
  /// a dead rank in more than `retries` runs, alone on it in at least one of them. They are
  /// not handed out again.
  std::map<std::uint64_t, std::uint32_t> poisoned;
};

/// `stopped(run, rank)`: whether that rank got a stop signal in that run.
CrashHistory crash_history(const JournalState& state, std::uint32_t retries,
                           const std::function<bool(std::uint32_t run, std::int32_t rank)>& stopped);

/// Reads `path`. A missing file, an empty one, or one that ends inside its first record (a
/// kill before anything was journaled) gives nullopt; a damaged one throws JournalError.
std::optional<JournalState> read_journal(const std::string& path);

class JournalWriter {
 public:
  /// Appends to `path` (creating it with `identity` as its first record if new) and
  /// records the start of run `run`.
  JournalWriter(const std::string& path, const std::string& identity, std::uint32_t run, bool fresh);
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;
  ~JournalWriter();
  /// Tasks `ids` of `rank` are done, their results within the first `part_bytes` bytes
  /// of its part file, and with them (one record: a resume sees both or neither) the
  /// tasks they submitted, up to `submitted`. Written in batches (every 50 ms or 64 KiB).
  void record(std::int32_t rank, std::uint64_t part_bytes, const std::vector<IdRun>& done,
              const std::optional<SubmittedMark>& submitted = std::nullopt);
  /// Called before records are written: what they commit (the submitted tasks' log) is
  /// written first.
  void before_writing(std::function<void()> hook) { before_writing_ = std::move(hook); }
  /// The tasks each rank holds as the run stops on a signal; written at once.
  void record_in_flight(const std::vector<std::pair<std::int32_t, IdRun>>& held);
  void flush();

 private:
  void append(char type, const std::string& payload);
  int fd_;
  std::string path_;
  std::uint32_t run_;
  std::string pending_;
  std::string record_;  // the record being built, its capacity reused
  std::chrono::steady_clock::time_point last_flush_;
  std::function<void()> before_writing_;
};

}  // namespace taskfarm

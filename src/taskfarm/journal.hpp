#pragma once
// The resume journal, DIR/_journal: an append-only file of checksummed records, written
// by the master only. A record says which tasks a reply completed and how long the
// worker's part file was once their results were in it. A rerun with --resume reads it
// back, cuts every part file to its journaled length and skips the completed tasks, so
// after a kill at any moment nothing is lost and nothing is done twice. A torn last
// record (the kill hit a write) is dropped; damage anywhere else is an error.
// MPI-free.

#include <chrono>
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

/// What a journal says.
struct JournalState {
  std::string identity;  // the job and its parameters; a resume must match it
  std::uint32_t runs = 0;
  IdRanges done;
  std::map<PartKey, std::uint64_t> part_bytes;  // journaled length of each part file
};

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
  /// of its part file. Written in batches (every 50 ms or 64 KiB).
  void record(std::int32_t rank, std::uint64_t part_bytes, const std::vector<IdRun>& done);
  void flush();

 private:
  void append(char type, const std::string& payload);
  int fd_;
  std::string path_;
  std::uint32_t run_;
  std::string pending_;
  std::string record_;  // the record being built, its capacity reused
  std::chrono::steady_clock::time_point last_flush_;
};

}  // namespace taskfarm

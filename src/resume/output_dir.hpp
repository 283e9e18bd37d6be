#pragma once
// The output directory (--output DIR), committed like Hadoop's FileOutputCommitter:
// each rank that runs tasks writes DIR/_temporary/rank-NNNNN; only a run in which every
// task succeeded renames them to DIR/part-00000, part-00001, ... and then writes
// DIR/_SUCCESS last. A failed or killed run leaves no part file that looks final.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace taskfarm {

/// Creates DIR and DIR/_temporary. Throws UsageError if DIR already holds results
/// (part files, _SUCCESS) or an unfinished run (_journal), unless `overwrite`, which
/// removes them first.
void prepare_output_dir(const std::string& dir, bool overwrite);

/// Creates and removes a probe file beside `path`, so that a run which could not write
/// `path` at its end is refused before its first task. Throws UsageError naming `option`.
void check_can_write(const std::string& path, const std::string& option);

/// Where `rank` writes its results during run `run` of the job (resumes add runs).
std::string temporary_part_path(const std::string& dir, int rank, std::uint32_t run = 0);
/// DIR/_temporary/reduce-RRRRR.run-NNN: a reduce job's final output (its part files hold
/// the map output).
std::string temporary_reduce_path(const std::string& dir, int rank, std::uint32_t run);
/// DIR/_temporary/stopped-RRRRR.run-NNN: created by worker `rank` when a stop signal
/// reaches it, so a resume can tell the ranks that got mpirun's SIGTERM from one that died.
std::string stop_marker_path(const std::string& dir, int rank, std::uint32_t run);
/// Whether a file name in DIR/_temporary is a stop marker's (or a group's list).
bool is_stop_marker(const std::string& name);
/// Beside a group leader's stop marker: its group's ranks (--ranks-per-task), written
/// at start-up, so that a resume counts the group as dead when any of its ranks died.
void write_group_list(const std::string& dir, int leader, std::uint32_t run, const std::vector<int>& ranks);
/// Whether `rank` got the stop signal in run `run` (and, for a group's leader, every
/// rank of its group did): if not, it died, and the tasks it held are suspects.
bool stopped_in_time(const std::string& dir, int rank, std::uint32_t run);
std::string journal_path(const std::string& dir);
/// DIR/_temporary/submitted: the tasks that tasks submitted (see Frontier).
std::string submitted_log_path(const std::string& dir);

/// Cuts `path` to `bytes` (what the journal vouches for).
void truncate_part(const std::string& path, std::uint64_t bytes);

/// A part file to publish. With `copy_bytes`, only that many bytes are copied to a new
/// file: the part of a worker that stopped answering, which may still be writing.
struct PartToPublish {
  std::string path;
  std::optional<std::uint64_t> copy_bytes;
};

/// Publishes `parts`, in that order, as part-00000, ..., and removes _temporary.
void publish_parts(const std::string& dir, const std::vector<PartToPublish>& parts);
/// Writes DIR/_SUCCESS: the last step of a successful run.
void mark_success(const std::string& dir);

/// A rank's result file: buffered appends, flushed in large writes, synced on close.
class PartFile {
 public:
  explicit PartFile(const std::string& path);
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;
  ~PartFile();
  /// Kernels append here; call flush_if_full() after each batch.
  std::string& buffer() { return buffer_; }
  void flush_if_full();
  /// Writes what is buffered; returns the file's length.
  std::uint64_t flush();
  /// Writes the rest, fsyncs and closes. Returns the bytes written in all.
  std::uint64_t close();

 private:
  void write_buffer();
  std::string path_;
  int fd_;
  std::string buffer_;
  std::uint64_t bytes_ = 0;
};

}  // namespace taskfarm

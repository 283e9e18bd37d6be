#pragma once
// cmd --output DIR: each task's stdout and stderr in DIR/tasks/BUCKET/ID.out and .err,
// written under temporary names and renamed when the attempt ends, so that a file with
// the final name is always a finished attempt's whole output.

#include <cstdint>
#include <string>
#include <unordered_set>

#include "jobkit/process.hpp"

namespace taskfarm::cmd {

class TaskOutputs {
 public:
  TaskOutputs(std::string dir, int rank) : dir_(std::move(dir)), suffix_(".tmp-rank" + std::to_string(rank)) {}
  /// The task's files in `spec`, under their temporary names.
  void direct(std::uint64_t id, ProcessSpec& spec) const;
  /// DIR/tasks/BUCKET/ID, with its directories made. Throws when they cannot be.
  std::string make_base(std::uint64_t id);
  /// Renames an ended attempt's files to their final names; a rename that fails fails an
  /// attempt that had succeeded.
  void publish(const std::string& base, ProcessOutcome& outcome) const;
  /// Removes an attempt's files that could not start.
  static void discard(const ProcessSpec& spec);

 private:
  std::string path(std::uint64_t id) const;
  std::string dir_;
  std::string suffix_;
  std::unordered_set<std::uint64_t> made_dirs_;
};

}  // namespace taskfarm::cmd

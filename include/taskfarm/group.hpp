#pragma once
/// @file
/// taskfarm::Group, the ranks that run one task together (part of taskfarm.hpp).

#include <mpi.h>

namespace taskfarm {

/// The ranks that run one task together, with `--ranks-per-task N` (Options::ranks_per_task):
/// a kernel runs on each of them, on the same task, and sees them as `task.group()` (a
/// taskfarm::Task<T>&; 0.3's `const taskfarm::Group&` parameter still works). What the
/// group's rank 0 returns (or writes) is the task's result; a kernel that throws on any of
/// them fails the task. Without groups, a Group is the rank alone.
class Group {
 public:
  /// This rank alone (MPI_COMM_SELF).
  Group() = default;
  /// Rank `rank` of the `size` ranks of `comm` (the engine makes the groups).
  Group(MPI_Comm comm, int rank, int size) : comm_(comm), rank_(rank), size_(size) {}
  /// The group's N ranks, for the kernel's own MPI calls; valid during the call. Only the
  /// kernels use it: the engine talks to the group through a communicator of its own.
  MPI_Comm comm() const { return comm_; }
  /// This rank's place in comm(), from 0.
  int rank() const { return rank_; }
  /// N: the number of ranks in comm().
  int size() const { return size_; }

 private:
  MPI_Comm comm_ = MPI_COMM_SELF;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace taskfarm

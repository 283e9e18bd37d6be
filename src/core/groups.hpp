#pragma once
// Which worker ranks run tasks together (--ranks-per-task N): decided once at start-up,
// the same on every rank, from where each rank runs. MPI-free; the split into
// communicators is the protocol module's.

#include <cstdint>
#include <string>
#include <vector>

namespace taskfarm {

struct GroupLayout {
  std::uint32_t ranks_per_task = 1;
  std::vector<std::vector<int>> groups;  ///< ranks of each group; the first is its leader
  std::vector<int> idle;                 ///< worker ranks in no group (the count is not a multiple of N)
  /// The group `rank` belongs to, or -1 (the master, an idle rank).
  int group_of(int rank) const;
  bool leads(int rank) const;
  /// The groups as text for logs: "1-2 3-4".
  std::string describe() const;
};

/// Groups of `n` worker ranks (every rank but rank 0). `node_of[r]` names rank r's node.
/// A node's workers form groups among themselves, in rank order; what is left on each
/// node is pooled, in node order, into groups across nodes; what is left then is idle.
/// Groups are listed by leader rank.
GroupLayout plan_groups(const std::vector<int>& node_of, std::uint32_t n);

}  // namespace taskfarm

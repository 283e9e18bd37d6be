#include "core/groups.hpp"

#include <algorithm>
#include <map>

#include "core/messages.hpp"

namespace taskfarm {

int GroupLayout::group_of(int rank) const {
  for (std::size_t g = 0; g < groups.size(); ++g)
    if (std::find(groups[g].begin(), groups[g].end(), rank) != groups[g].end()) return static_cast<int>(g);
  return -1;
}

bool GroupLayout::leads(int rank) const {
  const int g = group_of(rank);
  return g >= 0 && groups[static_cast<std::size_t>(g)].front() == rank;
}

std::string GroupLayout::describe() const {
  std::string text;
  for (const auto& group : groups) {
    if (!text.empty()) text += ' ';
    for (std::size_t i = 0; i < group.size(); ++i) text += (i ? "," : "") + std::to_string(group[i]);
  }
  return text;
}

GroupLayout plan_groups(const std::vector<int>& node_of, std::uint32_t n) {
  GroupLayout layout;
  layout.ranks_per_task = n;
  std::vector<int> node_order;  // nodes by their lowest rank
  std::map<int, std::vector<int>> workers_on;
  for (int rank = 0; rank < static_cast<int>(node_of.size()); ++rank) {
    const int node = node_of[static_cast<std::size_t>(rank)];
    if (!workers_on.count(node)) node_order.push_back(node);
    if (rank != master_rank) workers_on[node].push_back(rank);
    else workers_on[node];
  }
  std::vector<int> pooled;  // each node's leftovers, in node order
  for (const int node : node_order) {
    const std::vector<int>& ranks = workers_on[node];
    const std::size_t whole = ranks.size() / n * n;
    for (std::size_t i = 0; i < whole; i += n)
      layout.groups.emplace_back(ranks.begin() + static_cast<std::ptrdiff_t>(i),
                                 ranks.begin() + static_cast<std::ptrdiff_t>(i + n));
    pooled.insert(pooled.end(), ranks.begin() + static_cast<std::ptrdiff_t>(whole), ranks.end());
  }
  const std::size_t whole = pooled.size() / n * n;
  for (std::size_t i = 0; i < whole; i += n)
    layout.groups.emplace_back(pooled.begin() + static_cast<std::ptrdiff_t>(i),
                               pooled.begin() + static_cast<std::ptrdiff_t>(i + n));
  layout.idle.assign(pooled.begin() + static_cast<std::ptrdiff_t>(whole), pooled.end());
  std::sort(layout.groups.begin(), layout.groups.end());
  return layout;
}

}  // namespace taskfarm

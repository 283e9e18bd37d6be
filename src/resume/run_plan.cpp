#include "resume/run_plan.hpp"

#include "resume/output_dir.hpp"

namespace taskfarm {

std::vector<PartSlice> earlier_parts(const std::string& dir, const RunPlan& plan) {
  std::vector<PartSlice> parts;
  if (plan.resumed)
    for (const auto& [key, bytes] : plan.resumed->part_bytes)
      if (bytes > 0) parts.push_back({temporary_part_path(dir, key.rank, key.run), bytes});
  return parts;
}

}  // namespace taskfarm

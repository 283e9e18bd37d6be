#pragma once
// A run's output directory (--output DIR) from start to end, in one place: prepared, or a
// resume planned from its journal, before the run; after it, the part files published
// (only when every task succeeded), _failed, the report, a fold's result, and _SUCCESS
// last. The file primitives are output_dir.hpp's.

#include <string>
#include <vector>

#include "api/farm.hpp"
#include "job/config.hpp"
#include "job/job.hpp"
#include "master/report.hpp"
#include "resume/output_dir.hpp"

namespace taskfarm {

class RunDirectory {
 public:
  explicit RunDirectory(const Config& config) : config_(config), dir_(*config.output_dir) {}
  /// Rank 0, before any rank starts work: a fresh directory (refused if it holds results,
  /// unless --overwrite), or with --resume the plan from its journal, every part file cut
  /// back to what the journal vouches for. Returns whether the job is already complete.
  /// Throws UsageError.
  bool prepare(RunPlan& plan) const;
  /// The part files with a fold's partial values: every earlier run's, then this run's.
  std::vector<PartSlice> fold_parts(const RunReport& report, const RunPlan& plan) const;
  /// DIR/result: a fold's value.
  void write_result(const std::string& value) const;
  /// After the run: the part files published when it is complete, _failed, _report.json,
  /// and _SUCCESS last, so that _SUCCESS never stands beside missing results.
  void commit(const RunReport& report, const RunPlan& plan, const JobRoles& job) const;

 private:
  bool plan_resume(RunPlan& plan) const;
  void cut_parts_to_journal(const JournalState& state) const;
  std::vector<PartToPublish> files_to_publish(const RunReport& report, const RunPlan& plan, const JobRoles& job) const;

  const Config& config_;
  std::string dir_;
};

}  // namespace taskfarm

#pragma once
// What rank 0 prepared for a run from its output directory: a new run, or a resume of
// earlier ones (their journal, the crashes it recorded, their part files).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/wire.hpp"
#include "resume/journal.hpp"

namespace taskfarm {

/// What rank 0 prepared for this run. Workers only use `run`.
struct RunPlan {
  std::uint32_t run = 0;                // numbers this run's part files (a resume adds a run)
  std::optional<JournalState> resumed;  // master: what earlier runs did (--resume)
  CrashHistory crashes;                 // master: the tasks of ranks that died (--resume)
  std::string identity;                 // master: the job and its parameters, for the journal
};

/// The part files of earlier runs (--resume) that hold something, each cut to what the
/// journal vouches for, in journal order.
std::vector<PartSlice> earlier_parts(const std::string& dir, const RunPlan& plan);

}  // namespace taskfarm

#pragma once
// The taskfarm program's built-in jobs written on the public API (square, sleep): a
// ProgramJob's main() declares its options on an App and calls app.run(), as a user's
// program does. The program hosts it: the App parses, and run() prepares the job's roles
// instead of running them, so that the program runs them like any other job's.

#include <taskfarm/taskfarm.hpp>

#include "taskfarm/config.hpp"
#include "taskfarm/job.hpp"

namespace taskfarm {

/// A built-in job on the public API. Its state lives in the object, not in main()'s
/// frame: the kernel and source it gives app.run() are used after main() returns.
class ProgramJob {
 public:
  virtual ~ProgramJob() = default;
  virtual int main(App& app) = 0;
};

namespace detail {
struct AppAccess {
  /// Whether a hosted App's run() has prepared a job.
  static bool prepared(const App& app);
  static Config config(const App& app);
  static JobRoles roles(App& app);
};
}  // namespace detail

}  // namespace taskfarm

/// Registers `Type` (default-constructible, derived from ProgramJob) under `name`.
#define TASKFARM_REGISTER_PROGRAM(Type, name, summary)                                 \
  static const bool TASKFARM_CONCAT(taskfarm_registered_, __LINE__) =                  \
      ::taskfarm::detail::register_job({name, summary, nullptr,                        \
                                        [] { return std::unique_ptr<::taskfarm::ProgramJob>(new Type()); }})

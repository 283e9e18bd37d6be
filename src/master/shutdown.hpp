#pragma once
// The end of the master's run: every worker gets its stop message (with the map output of
// earlier runs for a reduce job), and the master waits for each goodbye, whose figures go
// into the report. A stop signal cuts every wait to the grace period; a worker that never
// answers is logged and left unanswered in the report (the caller ends the job).

#include <cstdint>
#include <vector>

#include "core/backoff.hpp"
#include "core/clock.hpp"
#include "core/run_state.hpp"
#include "job/config.hpp"
#include "master/report.hpp"
#include "master/scheduler.hpp"
#include "master/transport.hpp"
#include "resume/run_plan.hpp"

namespace taskfarm {

/// What a worker is, as the report shows it.
WorkerReport worker_report(int rank, const WorkerLoad& load);

class Shutdown {
 public:
  Shutdown(Transport& transport, const Scheduler& scheduler, const Config& config, const JobRoles& job,
           const RunPlan& plan, Backoff& backoff);
  /// Stops every worker: a run that stopped early (`stop` has a cause) abandons them; one
  /// that finished has them run the reduce phase. Fills report.per_worker. `stop` becomes
  /// reduce_unfinished when a worker did not finish its reduce, and error when a worker
  /// reported one.
  void run(const std::vector<std::uint64_t>& accepted_part_bytes, RunReport& report, Stop& stop);

 private:
  /// How long a worker may take to say goodbye.
  struct Wait {
    double suspect_s = 2;  // a worker holding tasks or retired: maybe stuck inside a kernel
    double healthy_s;      // the others, which may be running a reduce phase
    double grace_s;        // after a stop signal, for everyone
  };
  bool suspect(int w) const;
  void send_stops(bool finished, const Wait& wait, const std::vector<std::uint64_t>& accepted_part_bytes,
                  RunReport& report);
  void await_goodbyes(const Wait& wait, RunReport& report, Stop& stop);
  void take_goodbye(int worker, RunReport& report);

  Transport& transport_;
  const Scheduler& scheduler_;
  const Config& config_;
  const JobRoles& job_;
  const RunPlan& plan_;
  Backoff& backoff_;
  std::vector<clock::time_point> answer_by_;
  std::string inbox_;
};

}  // namespace taskfarm

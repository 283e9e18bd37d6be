#include "job/job.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace taskfarm {

namespace {
std::vector<JobEntry>& registry() {
  static std::vector<JobEntry> jobs;
  return jobs;
}
}  // namespace

const std::vector<JobEntry>& registered_jobs() { return registry(); }

bool detail::register_job(JobEntry entry) {
  auto& jobs = registry();
  auto pos = std::lower_bound(jobs.begin(), jobs.end(), entry.name,
                              [](const JobEntry& e, const std::string& n) { return e.name < n; });
  jobs.insert(pos, std::move(entry));
  return true;
}

}  // namespace taskfarm

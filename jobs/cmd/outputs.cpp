#include "outputs.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace taskfarm::cmd {

/// DIR/tasks/<id / 1000, 5 digits>/<id>: at most 1000 tasks' files per directory, and a
/// task's files are found from its ID alone.
std::string TaskOutputs::path(std::uint64_t id) const {
  char bucket[32];
  std::snprintf(bucket, sizeof bucket, "%05" PRIu64, id / 1000);
  return dir_ + "/tasks/" + bucket + "/" + std::to_string(id);
}

void TaskOutputs::direct(std::uint64_t id, ProcessSpec& spec) const {
  const std::string base = path(id);
  spec.stdout_path = base + ".out" + suffix_;
  spec.stderr_path = base + ".err" + suffix_;
}

std::string TaskOutputs::make_base(std::uint64_t id) {
  const std::string base = path(id);
  if (!made_dirs_.count(id / 1000)) {
    const std::string tasks_dir = dir_ + "/tasks";
    for (const std::string& d : {tasks_dir, base.substr(0, base.rfind('/'))})
      if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST)
        throw std::system_error(errno, std::generic_category(), "cannot create " + d);
    made_dirs_.insert(id / 1000);
  }
  return base;
}

void TaskOutputs::publish(const std::string& base, ProcessOutcome& outcome) const {
  for (const char* stream : {".out", ".err"}) {
    const std::string final_path = base + stream;
    if (std::rename((final_path + suffix_).c_str(), final_path.c_str()) != 0 && outcome.ok()) {
      outcome.stderr_text = "cannot rename to " + final_path + ": " + std::strerror(errno);
      outcome.exit_value = -1;  // the attempt fails; its output is not final
    }
  }
}

void TaskOutputs::discard(const ProcessSpec& spec) {
  for (const auto& path : {spec.stdout_path, spec.stderr_path})
    if (path) std::remove(path->c_str());
}

}  // namespace taskfarm::cmd

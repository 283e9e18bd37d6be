#pragma once
// cmd's tasks file: one command per line, read twice on rank 0 (counted and hashed first,
// so that a resume sees the same tasks), and each task's payload.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "job/job.hpp"
#include "jobkit/joblog.hpp"

namespace taskfarm::cmd {

// Payload: the task count (for TASKFARM_NTASKS), then the command.
std::uint64_t task_count_of(std::string_view payload);
std::string_view command_of(std::string_view payload);

struct TasksFile {
  std::unique_ptr<TaskSource> source;
  std::uint64_t tasks = 0;
  std::uint64_t hash = 0;  // FNV-1a of its task lines
};

/// Opens `path` ('-': standard input, read once and kept). An `earlier` joblog (--resume)
/// must describe these tasks. Throws UsageError naming the file.
TasksFile open_tasks_file(const std::string& path, const std::optional<JoblogState>& earlier,
                          const std::string& joblog_path);

}  // namespace taskfarm::cmd

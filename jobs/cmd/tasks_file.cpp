#include "tasks_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/log.hpp"
#include "core/text.hpp"
#include "core/wire.hpp"

namespace taskfarm::cmd {

namespace {

/// Calls `fn(id, line)` for every task line of `in`, IDs counting from 0.
template <typename Fn>
void for_each_task(std::istream& in, Fn&& fn) {
  std::string line;
  for (std::uint64_t id = 0; next_task_line(in, line); ++id) fn(id, line);
}

class CommandSource final : public TaskSource {
 public:
  CommandSource(std::unique_ptr<std::istream> in, std::uint64_t count) : in_(std::move(in)), count_(count) {}
  std::optional<std::uint64_t> size() const override { return count_; }
  bool next(std::string& payload) override {
    if (!next_task_line(*in_, line_)) return false;
    payload.clear();
    wire::put(payload, count_);
    payload.append(line_);
    return true;
  }

 private:
  std::unique_ptr<std::istream> in_;
  std::uint64_t count_;
  std::string line_;
};

std::unique_ptr<std::istream> open_stream(const std::string& path) {
  if (path == "-") {  // standard input cannot be read twice
    auto text = std::make_unique<std::stringstream>();
    *text << std::cin.rdbuf();
    return text;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw UsageError("--tasks-file: '" + path + "' is a directory, not a file of commands");
  auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*file) throw UsageError("--tasks-file: cannot open '" + path + "': " + std::strerror(errno));
  return file;
}

}  // namespace

std::uint64_t task_count_of(std::string_view payload) { return wire::get<std::uint64_t>(payload); }
std::string_view command_of(std::string_view payload) { return payload.substr(sizeof(std::uint64_t)); }

TasksFile open_tasks_file(const std::string& path, const std::optional<JoblogState>& earlier,
                          const std::string& joblog_path) {
  std::unique_ptr<std::istream> in = open_stream(path);
  TasksFile file;
  file.hash = fnv1a_basis;
  for_each_task(*in, [&](std::uint64_t id, const std::string& line) {
    file.hash = fnv1a(line + "\n", file.hash);
    file.tasks = id + 1;
    if (!earlier) return;
    const auto logged = earlier->commands.find(id + 1);
    if (logged != earlier->commands.end() && logged->second != line)
      throw UsageError("--joblog: " + joblog_path + " belongs to another tasks file: its task " + std::to_string(id + 1) +
                       " is '" + logged->second + "', here it is '" + line + "'");
  });
  if (earlier && !earlier->commands.empty() && earlier->commands.rbegin()->first > file.tasks)
    throw UsageError("--joblog: " + joblog_path + " belongs to another tasks file: it has task " +
                     std::to_string(earlier->commands.rbegin()->first) + ", " + path + " has only " +
                     std::to_string(file.tasks));
  if (file.tasks == 0) log::line("--tasks-file " + path + " holds no tasks (only blank or # lines)");
  in->clear();
  in->seekg(0);
  file.source = std::make_unique<CommandSource>(std::move(in), file.tasks);
  return file;
}

}  // namespace taskfarm::cmd

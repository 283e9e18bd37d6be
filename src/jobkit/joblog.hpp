#pragma once
// The cmd job's files: its tasks file, and GNU parallel's --joblog format, written by its
// master and read back by --resume. MPI-free.

#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "resume/journal.hpp"

namespace taskfarm {

/// A tasks file's line is a task unless it is blank or its first non-blank character is '#'.
bool is_task_line(std::string_view line);
/// Reads the next task line of `in` into `line` (without its '\n'); false at the end.
bool next_task_line(std::istream& in, std::string& line);

struct JoblogEntry {
  std::uint64_t seq;  // 1-based task number
  std::string host;
  double start_epoch_s;
  double runtime_s;
  std::uint64_t send;
  std::uint64_t receive;
  int exit_value;
  int signal;
  std::string command;
};

/// The header line, byte for byte GNU parallel's.
const std::string& joblog_header();
/// Appends one line as GNU parallel formats it (Starttime %.3f, JobRuntime %10.3f).
void append_joblog_line(std::string& out, const JoblogEntry& entry);

/// One attempt of a command as --trace writes it (one tab-separated line each).
struct TraceEntry {
  std::uint64_t task;  // 0-based task ID
  std::uint32_t attempt;
  int rank;
  std::string host;
  std::uint32_t slot;
  std::string gpus, cpus;  // the slot's, comma-separated ("-": none)
  double start_epoch_s;
  double runtime_s;
  int exit_value;
  int signal;
  std::uint64_t peak_rss_kib;
  double user_s, sys_s;
  std::uint64_t read_bytes, write_bytes;
  std::string command;
};

/// The trace's header line: its column names, tab-separated.
const std::string& trace_header();
void append_trace_line(std::string& out, const TraceEntry& entry);

/// What an existing joblog says: the command of every task it names, and which succeeded.
struct JoblogState {
  std::map<std::uint64_t, std::string> commands;  // by seq
  IdRanges succeeded;                             // task IDs (seq - 1)
};

/// Reads a joblog; nullopt when the file does not exist. Throws std::runtime_error with
/// the line number when it is not a joblog.
std::optional<JoblogState> read_joblog(const std::string& path);

}  // namespace taskfarm

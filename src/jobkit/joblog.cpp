#include "jobkit/joblog.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace taskfarm {

bool is_task_line(std::string_view line) {
  const auto first = line.find_first_not_of(" \t\r\f\v");
  return first != std::string_view::npos && line[first] != '#';
}

bool next_task_line(std::istream& in, std::string& line) {
  while (std::getline(in, line))
    if (is_task_line(line)) return true;
  return false;
}

const std::string& joblog_header() {
  static const std::string header = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n";
  return header;
}

void append_joblog_line(std::string& out, const JoblogEntry& e) {
  char fields[160];
  std::snprintf(fields, sizeof fields, "%" PRIu64 "\t%s\t%.3f\t%10.3f\t%" PRIu64 "\t%" PRIu64 "\t%d\t%d\t",
                e.seq, e.host.c_str(), e.start_epoch_s, e.runtime_s, e.send, e.receive, e.exit_value, e.signal);
  out.append(fields);
  out.append(e.command);
  out.push_back('\n');
}

std::optional<JoblogState> read_joblog(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::nullopt;
    throw std::runtime_error("cannot read joblog " + path);
  }
  JoblogState state;
  std::string line;
  std::uint64_t number = 0;
  auto bad = [&](const std::string& why) {
    return std::runtime_error("joblog " + path + " line " + std::to_string(number) + ": " + why);
  };
  while (std::getline(in, line)) {
    ++number;
    if (in.eof()) break;  // no newline: a line torn by a kill, never completed
    if (number == 1) {
      if (line + "\n" != joblog_header()) throw bad("not a joblog (the header differs from GNU parallel's)");
      continue;
    }
    if (line.empty()) continue;
    // Eight tab-separated fields, then the command (which may itself hold tabs).
    std::vector<std::string> fields;
    std::size_t from = 0;
    for (int i = 0; i < 8; ++i) {
      const std::size_t tab = line.find('\t', from);
      if (tab == std::string::npos) throw bad("fewer than 9 columns");
      fields.push_back(line.substr(from, tab - from));
      from = tab + 1;
    }
    char* end = nullptr;
    const std::uint64_t seq = std::strtoull(fields[0].c_str(), &end, 10);
    if (fields[0].empty() || *end != '\0' || seq == 0) throw bad("bad Seq '" + fields[0] + "'");
    const long exit_value = std::strtol(fields[6].c_str(), &end, 10);
    if (fields[6].empty() || *end != '\0') throw bad("bad Exitval '" + fields[6] + "'");
    const long signal = std::strtol(fields[7].c_str(), &end, 10);
    if (fields[7].empty() || *end != '\0') throw bad("bad Signal '" + fields[7] + "'");
    const std::string command = line.substr(from);
    auto [it, inserted] = state.commands.emplace(seq, command);
    if (!inserted && it->second != command) throw bad("task " + std::to_string(seq) + " has two different commands");
    if (exit_value == 0 && signal == 0) state.succeeded.add(seq - 1, seq);
  }
  return state;  // an empty file: killed before its header was written
}

const std::string& trace_header() {
  static const std::string header =
      "task\tattempt\trank\thost\tslot\tgpus\tcpus\tstart\truntime_s\texit\tsignal\tpeak_rss_kib\tuser_s\tsys_s\t"
      "read_bytes\twrite_bytes\tcommand\n";
  return header;
}

void append_trace_line(std::string& out, const TraceEntry& e) {
  char numbers[256];
  std::snprintf(numbers, sizeof numbers, "%" PRIu64 "\t%" PRIu32 "\t%d\t", e.task, e.attempt, e.rank);
  out += numbers;
  out += e.host;
  out += '\t' + std::to_string(e.slot) + '\t';
  out += e.gpus.empty() ? "-" : e.gpus;
  out += '\t';
  out += e.cpus.empty() ? "-" : e.cpus;
  std::snprintf(numbers, sizeof numbers,
                "\t%.3f\t%.3f\t%d\t%d\t%" PRIu64 "\t%.3f\t%.3f\t%" PRIu64 "\t%" PRIu64 "\t", e.start_epoch_s,
                e.runtime_s, e.exit_value, e.signal, e.peak_rss_kib, e.user_s, e.sys_s, e.read_bytes, e.write_bytes);
  out += numbers;
  out += e.command;
  out += '\n';
}

}  // namespace taskfarm

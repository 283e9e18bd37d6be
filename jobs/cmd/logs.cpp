#include "logs.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "job/job.hpp"
#include "jobkit/joblog.hpp"

namespace taskfarm::cmd {

void AttemptLogs::open(const std::optional<std::string>& joblog, const std::optional<std::string>& trace,
                       bool joblog_resumed, bool resume) {
  if (joblog) open_log(joblog_, *joblog, "--joblog", joblog_header(), joblog_resumed);
  if (trace) open_log(trace_, *trace, "--trace", trace_header(), resume);
}

void AttemptLogs::open_log(Log& log, const std::string& path, const char* option, const std::string& header,
                           bool append) {
  const bool fresh = !append || ::access(path.c_str(), F_OK) != 0;
  log.path = path;
  log.file.reset(std::fopen(path.c_str(), fresh ? "w" : "a"));
  if (!log.file) throw UsageError(std::string(option) + ": cannot write '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (fresh || (::stat(path.c_str(), &st) == 0 && st.st_size == 0)) std::fputs(header.c_str(), log.file.get());
  std::fflush(log.file.get());
}

void AttemptLogs::record(std::uint64_t id, const DecodedAttempt& attempt) {
  const AttemptRecord& r = attempt.record;
  if (joblog_.file) {
    line_.clear();
    append_joblog_line(line_, JoblogEntry{id + 1, std::string(attempt.host), r.start_epoch_s, r.run_s, 0,
                                          r.stdout_bytes, r.exit_value, r.signal, std::string(attempt.command)});
    write_line(joblog_);
  }
  if (trace_.file) {
    line_.clear();
    append_trace_line(line_, TraceEntry{id, r.attempt, r.rank, std::string(attempt.host), r.slot,
                                        std::string(attempt.gpus), std::string(attempt.cpus), r.start_epoch_s, r.run_s,
                                        r.exit_value, r.signal, r.peak_rss_kib, r.user_s, r.sys_s, r.read_bytes,
                                        r.write_bytes, std::string(attempt.command)});
    write_line(trace_);
  }
}

void AttemptLogs::write_line(const Log& log) const {
  if (std::fwrite(line_.data(), 1, line_.size(), log.file.get()) != line_.size() || std::fflush(log.file.get()) != 0)
    throw std::system_error(errno, std::generic_category(), "cannot write " + log.path);
}

}  // namespace taskfarm::cmd

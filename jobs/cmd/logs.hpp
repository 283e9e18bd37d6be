#pragma once
// The logs the master writes a line to per attempt: --joblog (GNU parallel's format, read
// back by --resume) and --trace (one tab-separated row per attempt).

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "attempt.hpp"

namespace taskfarm::cmd {

class AttemptLogs {
 public:
  /// Opens the logs that are asked for: appended to when resumed (`joblog_resumed`:
  /// an earlier joblog was read), the header first in a new or empty file. Throws
  /// UsageError naming the option.
  void open(const std::optional<std::string>& joblog, const std::optional<std::string>& trace, bool joblog_resumed,
            bool resume);
  /// One line in each log for an attempt of task `id`. Throws when a log cannot be written.
  void record(std::uint64_t id, const DecodedAttempt& attempt);

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  using LogFile = std::unique_ptr<std::FILE, FileCloser>;
  struct Log {
    LogFile file;
    std::string path;
  };
  static void open_log(Log& log, const std::string& path, const char* option, const std::string& header, bool append);
  void write_line(const Log& log) const;

  Log joblog_;
  Log trace_;
  std::string line_;
};

}  // namespace taskfarm::cmd

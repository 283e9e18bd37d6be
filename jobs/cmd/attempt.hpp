#pragma once
// cmd's result data: what a worker sends back for each attempt, everything the master's
// joblog line, trace row and pass-through output need.

#include <cstdint>
#include <string>
#include <string_view>

namespace taskfarm::cmd {

struct AttemptRecord {
  double start_epoch_s;
  double run_s;
  std::int32_t exit_value;
  std::int32_t signal;
  std::uint64_t stdout_bytes;
  std::uint8_t timed_out;
  // For --trace and the report.
  std::uint32_t attempt;
  std::int32_t rank;
  std::uint32_t slot;
  std::uint64_t peak_rss_kib;
  double user_s;
  double sys_s;
  std::uint64_t read_bytes;
  std::uint64_t write_bytes;
};

/// Where an attempt ran and what: its host, its slot's GPUs and cores, its command.
struct AttemptPlace {
  std::string_view host, gpus, cpus, command;
};

struct DecodedAttempt {
  AttemptRecord record;
  std::string_view host, gpus, cpus, command, out, err;
};

/// A result's data: the record, where it ran, the command and its output. Its stderr
/// (or the reason it failed outside its command) is appended after, to the end.
void put_attempt(std::string& data, const AttemptRecord& record, const AttemptPlace& place, std::string_view out);
DecodedAttempt decode_attempt(std::string_view data);

/// An attempt that failed outside its command: no process (a process limit, no memory),
/// or no files for its output (a full disk). Its reason stands where its stderr would.
bool failed_outside_command(const AttemptRecord& r);

/// Why an attempt failed, for _failed and the log.
std::string failure_message(std::string_view data, double task_timeout_s);

}  // namespace taskfarm::cmd

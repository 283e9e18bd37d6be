#pragma once
// Helpers shared by the unit and MPI tests.

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "api/cli.hpp"
#include "core/random.hpp"

namespace taskfarm::testing {

inline CommandLine parse(const std::vector<std::string>& args) { return parse_arguments(args); }
/// The same, profiled for a run on one rank (the master runs the tasks: LocalTransport).
inline CommandLine parse_one_rank(const std::vector<std::string>& args) {
  CommandLine cl = parse(args);
  cl.config.profile = profile_run(cl.config, cl.job, 1);
  return cl;
}

/// The message of the UsageError that `run()` throws, or "(no error)".
template <class Run>
std::string usage_error_of(Run&& run) {
  try {
    run();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

/// The UsageError the command line `args` gets, or "(no error)".
inline std::string usage_error(const std::vector<std::string>& args) {
  return usage_error_of([&] { parse(args); });
}

inline std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

/// The task IDs at the start of each line (the sleep job's "id<TAB>us"), sorted: equal to
/// id_range(n) when every task is there exactly once.
inline std::vector<std::uint64_t> sorted_ids(const std::string& text) {
  std::vector<std::uint64_t> ids;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) ids.push_back(std::stoull(line.substr(0, line.find('\t'))));
  std::sort(ids.begin(), ids.end());
  return ids;
}

/// 0, 1, ..., n - 1.
inline std::vector<std::uint64_t> id_range(std::uint64_t n) {
  std::vector<std::uint64_t> ids(n);
  for (std::uint64_t i = 0; i < n; ++i) ids[i] = i;
  return ids;
}

/// The square job's expected output, computed serially and formatted independently.
inline std::vector<std::string> expected_square_lines(std::uint64_t tasks, std::uint64_t seed) {
  std::vector<std::string> lines;
  for (std::uint64_t i = 0; i < tasks; ++i) {
    const long long n = static_cast<long long>(random_at(seed, i) % 10001);
    std::ostringstream line;
    line << n << " * " << n << " = " << n * n;
    lines.push_back(line.str());
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace taskfarm::testing

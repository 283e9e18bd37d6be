#pragma once
// Helpers shared by the unit and MPI tests.

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "taskfarm/cli.hpp"
#include "taskfarm/random.hpp"

namespace taskfarm::testing {

inline CommandLine parse(const std::vector<std::string>& args) { return parse_arguments(args); }

inline std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
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

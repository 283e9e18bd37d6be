// cmd's tasks file against a naive splitter: the task lines read are exactly the file's
// '\n'-separated lines (the last one may lack its '\n') that hold a character other than
// blanks, the first such not being '#'.
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "jobkit/joblog.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view file(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> expected, got;
  std::string line;
  auto close_line = [&] {
    for (const char c : line) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') continue;
      if (c != '#') expected.push_back(line);
      break;
    }
    line.clear();
  };
  for (const char c : file) {
    if (c == '\n') close_line();
    else line.push_back(c);
  }
  close_line();
  std::ifstream in(taskfarm::fuzz::input_file(data, size), std::ios::binary);
  while (taskfarm::next_task_line(in, line)) got.push_back(line);
  if (got != expected) __builtin_trap();
  return 0;
}

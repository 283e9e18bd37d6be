// The block line reader against a naive splitter: the first 2 bytes choose the block
// size, the rest is the file. Over all blocks, every line of the file comes exactly once,
// at its offset, without its '\n'.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "jobkit/input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint64_t block = 1 + (data[0] | (data[1] << 8)) % 512;
  const std::string_view file(reinterpret_cast<const char*>(data + 2), size - 2);
  std::vector<std::pair<std::uint64_t, std::string>> expected, got;
  for (std::size_t start = 0; start < file.size();) {
    const std::size_t end = file.find('\n', start);
    const std::size_t stop = end == std::string_view::npos ? file.size() : end;
    expected.emplace_back(start, std::string(file.substr(start, stop - start)));
    start = stop + 1;
  }
  const std::string& path = taskfarm::fuzz::input_file(data + 2, size - 2);
  for (std::uint64_t offset = 0; offset < file.size(); offset += block) {
    const std::uint64_t length = std::min<std::uint64_t>(block, file.size() - offset);
    taskfarm::for_each_line({path, offset, length}, [&](std::uint64_t at, std::string_view line) {
      got.emplace_back(at, std::string(line));
    });
  }
  if (got != expected) __builtin_trap();
  return 0;
}

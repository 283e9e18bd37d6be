#pragma once
// For fuzz targets whose parser reads a file: the input goes to a file of this process's
// own (rewritten for every input), and the parser reads it from there.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace taskfarm::fuzz {

inline const std::string& input_file(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/taskfarm-fuzz-" + std::to_string(::getpid());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) __builtin_trap();
  return path;
}

}  // namespace taskfarm::fuzz

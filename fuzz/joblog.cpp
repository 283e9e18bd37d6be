// A joblog as cmd --resume reads it: any file gives a state or a std::runtime_error
// naming the line (what the program reports as a usage error).
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "jobkit/joblog.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    (void)taskfarm::read_joblog(taskfarm::fuzz::input_file(data, size));
  } catch (const std::runtime_error&) {
  }
  return 0;
}

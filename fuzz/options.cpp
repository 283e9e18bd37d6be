// The size and time options (--block-size, --end-time): any text gives a value or a
// UsageError.
#include <cstdint>
#include <string>

#include "core/walltime.hpp"
#include "jobkit/input.hpp"
#include "taskfarm/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    if (taskfarm::parse_byte_size(text, "--block-size") == 0) __builtin_trap();  // documented: at least 1
  } catch (const taskfarm::UsageError&) {
  }
  try {
    (void)taskfarm::parse_end_time(text, 1.8e9);
  } catch (const taskfarm::UsageError&) {
  }
  return 0;
}

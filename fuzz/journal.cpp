// The journal as --resume reads it: any file gives a state, nothing, or a JournalError.
#include <cstdint>

#include "fuzz_support.hpp"
#include "resume/journal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    (void)taskfarm::read_journal(taskfarm::fuzz::input_file(data, size));
  } catch (const taskfarm::JournalError&) {
  }
  return 0;
}

// Tag::tasks messages as a worker reads them: any bytes give framed batches and their
// tasks, or a WireError, never a read outside the message. Every batch and every task
// read lies inside the message. (Tasks with empty payloads cost no bytes, so a 28-byte
// batch may hold 4 billion of them: the first million of each message are read.)
#include <cstdint>
#include <string_view>

#include "core/wire.hpp"

namespace {
bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string_view rest = bytes;
  int read = 0;
  try {
    while (const auto batch = taskfarm::next_framed_batch(rest)) {
      if (!inside(*batch, bytes)) __builtin_trap();
      taskfarm::TaskBatchReader reader(*batch);
      taskfarm::TaskView task{};
      for (; read < (1 << 20) && reader.next(task); ++read)
        if (!inside(task.payload, *batch)) __builtin_trap();
    }
  } catch (const taskfarm::WireError&) {
  }
  return 0;
}

// Task batches as a worker reads them: any bytes give tasks or a WireError, never a read
// outside the message. Every task read lies inside the message. (Tasks with empty
// payloads cost no bytes, so a 28-byte batch may hold 4 billion of them: the first
// million are read.)
#include <cstdint>
#include <string_view>

#include "taskfarm/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    taskfarm::TaskBatchReader reader(bytes);
    taskfarm::TaskView task{};
    for (int read = 0; read < (1 << 20) && reader.next(task); ++read)
      if (!task.payload.empty() &&
          (task.payload.data() < bytes.data() || task.payload.data() + task.payload.size() > bytes.data() + size))
        __builtin_trap();
  } catch (const taskfarm::WireError&) {
  }
  return 0;
}

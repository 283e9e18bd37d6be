#pragma once
// What the master and the workers say to each other, apart from how it travels (MPI
// through a Channel, or in-process in the one-rank mode): message tags and the small
// fixed messages. The batch layouts are in wire.hpp.

#include <cstdint>

namespace taskfarm {

inline constexpr int master_rank = 0;

/// Every message tag in the program.
enum class Tag : int {
  tasks = 1,    // master -> worker: a task batch (TaskBatchWriter layout)
  results = 2,  // worker -> master: a result batch (ResultBatchWriter layout)
  stop = 3,     // master -> worker: one StopKind byte; say goodbye
  goodbye = 4,  // worker -> master: WorkerGoodbye, the worker's last message
  hold = 5,     // master -> worker: empty; start no more tasks, hand the unstarted back
};

/// Why the master stops a worker.
enum class StopKind : char {
  finished = 1,  // every result is in: run the job's finish() (reduce), then say goodbye
  abandoned = 0, // the run is given up: say goodbye at once
};

/// A worker's last message: what only the worker can measure.
struct WorkerGoodbye {
  double idle_s;
  std::uint64_t messages_received;
  std::uint64_t messages_sent;
  std::uint64_t bytes_written;  // to its part file
  std::uint64_t bytes_read;     // of input, by the job
};

struct Envelope {
  int source;
  Tag tag;
};

}  // namespace taskfarm

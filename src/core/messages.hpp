#pragma once
// What the master and the workers say to each other, apart from how it travels (MPI
// through a Channel, or in-process in the one-rank mode): message tags and the small
// fixed messages. The batch layouts are in wire.hpp.

#include <cstddef>
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
  output = 6,   // worker -> master: OutputChunk, then a chunk of a task's spilled output
  failure = 7,  // worker -> master: why it cannot go on (an I/O error); it then waits for stop
  submitted = 8,  // worker -> master: SubmittedHead, then tasks that tasks submitted, ahead of the reply
  // A group's leader to the group's other ranks (--ranks-per-task), as the first byte of
  // its broadcast:
  group_batch = 9,  // then a task batch, which every rank of the group runs
  group_end = 10,   // no batch follows
};

/// A task's output too large for one message (a spill file) travels in chunks of at most
/// this many bytes, all of them before the reply that holds the task's result; the master
/// takes messages from that worker only until the last one, so nothing interleaves.
inline constexpr std::size_t output_chunk_bytes = 1 << 20;
struct OutputChunk {
  std::uint64_t task_id;
  std::uint8_t last;  // 1: the output's last chunk
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
  std::uint64_t peak_rss_bytes; // its own peak resident memory
};

struct Envelope {
  int source;
  Tag tag;
};

}  // namespace taskfarm

#pragma once
// How one attempt of a kernel failed, as a worker reports it: the same for a task on one
// rank (BatchRunner) and on a group of ranks (GroupBatch).

#include <exception>
#include <optional>
#include <string>

#include "taskfarm/error.hpp"
#include "taskfarm/wire.hpp"

namespace taskfarm {

struct KernelFailure {
  std::string message;
  TaskStatus status = TaskStatus::failed;  // failed_for_good: not retried
};

/// Calls run(); an exception from it becomes the attempt's failure. A PermanentError
/// says a retry would fail alike.
template <class Run>
std::optional<KernelFailure> failure_of(Run&& run) {
  try {
    run();
    return std::nullopt;
  } catch (const PermanentError& e) {
    return KernelFailure{e.what(), TaskStatus::failed_for_good};
  } catch (const std::exception& e) {
    return KernelFailure{e.what()};
  } catch (...) {
    return KernelFailure{"the kernel threw an exception that is not a std::exception"};
  }
}

}  // namespace taskfarm

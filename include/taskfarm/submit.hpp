#pragma once
/// @file
/// taskfarm::Submit<T>, 0.3's way for a running task to add tasks (part of taskfarm.hpp).
/// Deprecated in the docs: a kernel taking a taskfarm::Task<T>& calls task.submit(child).

#include "taskfarm/task.hpp"

namespace taskfarm {

/// What a kernel `R kernel(const T&, taskfarm::Submit<T>& submit)` (or any 0.3 kernel form
/// with a last parameter `taskfarm::Submit<T>&`) calls to add tasks to the run:
/// `submit(child)` for each, any number of times. The same as Task<T>::submit.
template <class T>
class Submit {
 public:
  /// Made by the engine for each call of the kernel.
  explicit Submit(Task<T>& task) : task_(task) {}
  Submit(const Submit&) = delete;
  Submit& operator=(const Submit&) = delete;
  /// Adds `task` to the run (once this attempt succeeds).
  void operator()(const T& task) { task_.submit(task); }

 private:
  Task<T>& task_;
};

}  // namespace taskfarm

#pragma once
/// @file
/// The library's one error family: taskfarm::Error and what derives from it.

#include <stdexcept>
#include <string>

#include "taskfarm/export.hpp"

namespace taskfarm {

/// Every error the library reports. `exit_code()` is the program's exit code for it:
/// 2 usage (a bad option, input or output directory), 4 runtime error (a full disk, an
/// I/O error on any rank). Farm::map throws it on every rank of its communicator, and the
/// same Farm can run another map afterwards.
class TASKFARM_API Error : public std::runtime_error {
 public:
  /// An error that the program would end with exit code `exit_code`, saying `what`.
  Error(int exit_code, const std::string& what) : std::runtime_error(what), exit_code_(exit_code) {}
  ~Error() override;
  /// The taskfarm program's exit code for this error (README: "Exit codes").
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

/// A bad command line, input, option or use of the API: exit code 2. Thrown by a source
/// while it is opened, or by the library itself.
class TASKFARM_API UsageError : public Error {
 public:
  /// A usage error saying `what` (one line, naming the option or input).
  explicit UsageError(const std::string& what) : Error(2, what) {}
  ~UsageError() override;
};

/// Thrown by a kernel: this task failed, and running it again would fail the same way
/// (a directory it may not read, a file that is not there). It is not retried, whatever
/// `--retries` says: it goes to `_failed` at once, with this message. Any other exception
/// from a kernel is retried. Not an Error: it ends one task, never the run.
class TASKFARM_API PermanentError : public std::runtime_error {
 public:
  /// A permanent failure of the current task, saying `what` (one line).
  explicit PermanentError(const std::string& what) : std::runtime_error(what) {}
  ~PermanentError() override;
};

}  // namespace taskfarm

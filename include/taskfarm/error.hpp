#pragma once
/// @file
/// The error taskfarm reports as one line on rank 0 with exit code 2.

#include <stdexcept>

namespace taskfarm {

/// A bad command line, input or use of the API. Thrown by a source while it is opened, or
/// by the library itself: one line on rank 0, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace taskfarm

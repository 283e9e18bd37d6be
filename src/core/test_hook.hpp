#pragma once
// Fault injection for the project's own tests: the environment variable TASKFARM_TEST_HOOK
// names one point where the program misbehaves on purpose, so that a test can reach a
// moment no timing makes reliable (a kill between two writes). Real runs never set it.

#include <cstdlib>
#include <string_view>

namespace taskfarm {

inline bool test_hook(std::string_view point) {
  const char* chosen = std::getenv("TASKFARM_TEST_HOOK");
  return chosen && point == chosen;
}

}  // namespace taskfarm

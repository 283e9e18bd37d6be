#pragma once
// Fast integer formatting for kernels that print millions of lines.

#include <charconv>
#include <string>

namespace taskfarm {

template <typename Int>
void append_decimal(std::string& out, Int value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, result.ptr);
}

}  // namespace taskfarm

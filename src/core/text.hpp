#pragma once
// Small text helpers: fast integer formatting for kernels that print millions of lines,
// and a stable hash.

#include <charconv>
#include <sstream>
#include <cstdint>
#include <string>
#include <string_view>

namespace taskfarm {

template <typename Int>
void append_decimal(std::string& out, Int value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, result.ptr);
}

/// Seconds as a user wrote them: 1, 0.5, 30 (not 1.000000).
inline std::string seconds_text(double s) {
  std::ostringstream text;
  text << s;
  return text.str();
}

constexpr std::uint64_t fnv1a_basis = 0xcbf29ce484222325ULL;

/// FNV-1a, stable across builds and runs (std::hash is not). Pass the previous hash as
/// `h` to continue hashing.
inline std::uint64_t fnv1a(std::string_view s, std::uint64_t h = fnv1a_basis) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

}  // namespace taskfarm

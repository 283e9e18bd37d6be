#pragma once
/// @file
/// Printing values as std::ostream would, fast for numbers (part of taskfarm.hpp).

#include <charconv>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace taskfarm::detail {

template <class V, class = void>
struct is_printable : std::false_type {};
template <class V>
struct is_printable<V, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const V&>())>>
    : std::true_type {};

/// Appends `value` as `std::ostream << value` would print it (fast paths for numbers).
template <class V>
void print(std::string& out, const V& value) {
  if constexpr (std::is_same_v<V, bool>) {
    out.push_back(value ? '1' : '0');
  } else if constexpr (std::is_same_v<V, char> || std::is_same_v<V, signed char> || std::is_same_v<V, unsigned char>) {
    out.push_back(static_cast<char>(value));
  } else if constexpr (std::is_integral_v<V>) {
    char buf[24];
    const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
    out.append(buf, static_cast<std::size_t>(end - buf));
  } else if constexpr (std::is_floating_point_v<V>) {
    char buf[64];  // %g with 6 digits: what an ostream prints by default
    const auto end = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general, 6).ptr;
    out.append(buf, static_cast<std::size_t>(end - buf));
  } else if constexpr (std::is_convertible_v<const V&, std::string_view>) {
    out.append(std::string_view(value));
  } else {
    static_assert(is_printable<V>::value,
                  "taskfarm: this value has no operator<<, so it cannot be printed: give it one, or write the "
                  "lines yourself with a kernel void(const T&, taskfarm::Out&)");
    std::ostringstream text;
    text << value;
    out.append(text.str());
  }
}

template <class T, class K>
class LineKernel;

}  // namespace taskfarm::detail

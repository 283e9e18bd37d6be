#pragma once
/// @file
/// An App's own options: declared, parsed and printed (part of taskfarm.hpp).

#include <charconv>
#include <cstdlib>
#include <functional>
#include <string>
#include <type_traits>

#include "taskfarm/detail/print.hpp"

namespace taskfarm::detail {

/// One user option of an App.
struct OptionSpec {
  std::string name;
  std::string help;
  bool is_flag = false;
  std::function<std::string(const std::string&)> assign;  ///< parses into the variable; an error or ""
  std::function<std::string(const std::string&)> check;   ///< parses into a scratch value; an error or ""
  std::function<std::string()> current;                   ///< the variable's value as text
  std::string type_name;                                  ///< INT, UINT, NUM or TEXT, for --help
};

template <class V>
std::string parse_option(const std::string& text, V& value) {
  if constexpr (std::is_same_v<V, bool>) {
    if (text == "true" || text == "1" || text == "yes" || text == "on") value = true;
    else if (text == "false" || text == "0" || text == "no" || text == "off") value = false;
    else return "expected true or false, got '" + text + "'";
  } else if constexpr (std::is_integral_v<V>) {
    V parsed{};
    const char* first = text.data();
    const char* last = first + text.size();
    const auto [end, ec] = std::from_chars(first, last, parsed);
    if (ec != std::errc() || end != last || text.empty())
      return std::string(std::is_unsigned_v<V> ? "expected a non-negative integer" : "expected an integer") +
             ", got '" + text + "'";
    value = parsed;
  } else if constexpr (std::is_floating_point_v<V>) {
    char* end = nullptr;
    const double parsed = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0') return "expected a number, got '" + text + "'";
    value = static_cast<V>(parsed);
  } else {
    static_assert(std::is_same_v<V, std::string>, "taskfarm::App::option: integers, floating, std::string or bool");
    value = text;
  }
  return {};
}

template <class V>
std::string option_text(const V& value) {
  std::string text;
  print(text, value);
  return text;
}

/// The spec of an option `name` bound to `value` (App::option).
template <class V>
detail::OptionSpec option_spec(const std::string& name, V& value, const std::string& help) {
  detail::OptionSpec spec;
  spec.name = name;
  spec.help = help;
  spec.is_flag = std::is_same_v<V, bool>;
  spec.assign = [&value](const std::string& text) { return detail::parse_option(text, value); };
  spec.check = [](const std::string& text) {
    V scratch{};
    return detail::parse_option(text, scratch);
  };
  spec.current = [&value] { return detail::option_text(value); };
  spec.type_name = std::is_floating_point_v<V> ? "NUM" : std::is_unsigned_v<V> ? "UINT" : std::is_integral_v<V> ? "INT" : "TEXT";
  return spec;
}

}  // namespace taskfarm::detail

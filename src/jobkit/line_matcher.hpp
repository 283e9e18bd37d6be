#pragma once
// The grep kernel: the lines of a text that match a POSIX extended regular expression, as
// `grep -E` finds them in the C locale. MPI-free.
//
// A pattern whose meaning is the same in Hyperscan's syntax (most: literals, classes,
// alternation, repetition, anchors) is searched over the whole text at once by Hyperscan,
// which finds candidate lines at gigabytes per second; each candidate line is then
// confirmed by POSIX regexec, so a candidate Hyperscan reports for a match across a line
// break never gets through, and no pattern changes meaning. Other patterns (back-
// references, GNU word anchors, a backslash in a bracket expression, ones that match the
// empty string, such as ^$ ...) are matched line by line by regexec alone.

#include <regex.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

struct hs_database;
struct hs_scratch;

namespace taskfarm {

class LineMatcher {
 public:
  /// Throws UsageError naming the pattern if POSIX rejects it.
  explicit LineMatcher(const std::string& pattern);
  ~LineMatcher();
  LineMatcher(const LineMatcher&) = delete;
  LineMatcher& operator=(const LineMatcher&) = delete;

  /// Calls on_line(offset, line) for every line of `text` that matches, in order. Lines end
  /// at '\n' (not part of `line`); the last one may end with the text.
  void for_each_match(std::string_view text, const std::function<void(std::size_t, std::string_view)>& on_line);
  /// Whether Hyperscan searches the text (false: line by line with regexec).
  bool accelerated() const { return database_ != nullptr; }

  /// Whether `pattern` means the same as a POSIX ERE and as a Hyperscan (PCRE) pattern:
  /// only literals, '.', bracket expressions without backslashes, collating elements or
  /// equivalence classes, groups, '|', '*', '+', '?', {m}, {m,}, {m,n}, '^', '$', and
  /// backslashes before punctuation that is special in both.
  static bool same_in_hyperscan(std::string_view pattern);

 private:
  bool matches(std::string_view line) const;

  regex_t regex_{};
  hs_database* database_ = nullptr;
  hs_scratch* scratch_ = nullptr;
  std::vector<std::size_t> candidates_;  // line starts, reused between calls
};

}  // namespace taskfarm

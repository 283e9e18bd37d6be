#include "jobkit/line_matcher.hpp"

#include <hs/hs.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <stdexcept>

#include "job/job.hpp"

namespace taskfarm {

namespace {

/// What a scan collects: the start of every line in which Hyperscan reported a match end.
struct Scan {
  const char* text;
  std::size_t size;
  std::vector<std::size_t>* line_starts;
  std::size_t line_begin = 1;  // the line of the last report, [begin, end): none yet
  std::size_t line_end = 0;
};

int on_match(unsigned, unsigned long long, unsigned long long to, unsigned, void* context) {
  auto& scan = *static_cast<Scan*>(context);
  const std::size_t last = static_cast<std::size_t>(to) - 1;  // the match's last byte
  // Most reports fall in the line of the one before: no search then (a line of a
  // megabyte with a match in every byte stays linear).
  if (last >= scan.line_begin && last < scan.line_end) return 0;
  const void* before = last == 0 ? nullptr : ::memrchr(scan.text, '\n', last);
  scan.line_begin = before ? static_cast<std::size_t>(static_cast<const char*>(before) - scan.text) + 1 : 0;
  const void* after = std::memchr(scan.text + last, '\n', scan.size - last);
  scan.line_end = after ? static_cast<std::size_t>(static_cast<const char*>(after) - scan.text) + 1 : scan.size;
  scan.line_starts->push_back(scan.line_begin);
  return 0;
}

std::size_t line_end(std::string_view text, std::size_t start) {
  const std::size_t nl = text.find('\n', start);
  return nl == std::string_view::npos ? text.size() : nl;
}

}  // namespace

bool LineMatcher::same_in_hyperscan(std::string_view p) {
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {  // GNU ERE gives \< \> \b \w \1 ... meanings of its own; PCRE others
      if (i + 1 == p.size() || !std::strchr(".[]{}()*+?|^$\\/", p[i + 1])) return false;
      ++i;
    } else if (c == '[') {  // a bracket expression: ']' first is a member, then up to ']'
      std::size_t j = i + 1;
      if (j < p.size() && p[j] == '^') ++j;
      if (j < p.size() && p[j] == ']') ++j;
      for (; j < p.size() && p[j] != ']'; ++j) {
        if (p[j] == '\\') return false;  // a literal backslash in ERE, an escape in PCRE
        if (p[j] == '[' && j + 1 < p.size() && (p[j + 1] == '.' || p[j + 1] == '=')) return false;
        if (p[j] == '[' && j + 1 < p.size() && p[j + 1] == ':') {  // [:class:], the same in both
          const std::size_t close = p.find(":]", j + 2);
          if (close == std::string_view::npos) return false;
          j = close + 1;
        }
      }
      if (j == p.size()) return false;
      i = j;
    } else if (c == '{') {  // only {m}, {m,} and {m,n}: ERE's {,n} is a literal in PCRE
      std::size_t j = i + 1;
      const std::size_t digits = j;
      while (j < p.size() && std::isdigit(static_cast<unsigned char>(p[j]))) ++j;
      if (j == digits) return false;
      if (j < p.size() && p[j] == ',') {
        ++j;
        while (j < p.size() && std::isdigit(static_cast<unsigned char>(p[j]))) ++j;
      }
      if (j == p.size() || p[j] != '}') return false;
      i = j;
    }
  }
  return true;
}

LineMatcher::LineMatcher(const std::string& pattern) {
  const int rc = regcomp(&regex_, pattern.c_str(), REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    char why[256];
    regerror(rc, &regex_, why, sizeof why);
    throw UsageError("--pattern: invalid regular expression '" + pattern + "': " + why);
  }
  // Hyperscan reports no empty matches, and a pattern that matches the empty string (a*,
  // ^$) could match an empty piece of a line: regexec alone. (Within same_in_hyperscan's
  // syntax, zero-width means only anchors and optional parts, which hold in "" too.)
  if (!same_in_hyperscan(pattern) || matches("")) return;
  // Multiline: '^' and '$' hold at every line break, as they do on each line for grep.
  // A pattern Hyperscan refuses stays on regexec.
  hs_compile_error_t* error = nullptr;
  if (hs_compile(pattern.c_str(), HS_FLAG_MULTILINE, HS_MODE_BLOCK, nullptr, &database_, &error) != HS_SUCCESS) {
    hs_free_compile_error(error);
    database_ = nullptr;
    return;
  }
  if (hs_alloc_scratch(database_, &scratch_) != HS_SUCCESS) {
    hs_free_database(database_);
    database_ = nullptr;
  }
}

LineMatcher::~LineMatcher() {
  if (scratch_) hs_free_scratch(scratch_);
  if (database_) hs_free_database(database_);
  regfree(&regex_);
}

bool LineMatcher::matches(std::string_view line) const {
  regmatch_t range[1];
  range[0].rm_so = 0;
  range[0].rm_eo = static_cast<regoff_t>(line.size());
  return regexec(&regex_, line.data(), 1, range, REG_STARTEND) == 0;
}

void LineMatcher::for_each_match(std::string_view text,
                                 const std::function<void(std::size_t, std::string_view)>& on_line) {
  auto confirm = [&](std::size_t start) {
    const std::string_view line = text.substr(start, line_end(text, start) - start);
    if (matches(line)) on_line(start, line);
  };
  auto confirm_every_line = [&] {
    for (std::size_t start = 0; start < text.size(); start = line_end(text, start) + 1) confirm(start);
  };
  if (!database_) return confirm_every_line();
  // Hyperscan scans at most 4 GiB at once: longer text goes in pieces cut at line breaks.
  candidates_.clear();
  for (std::size_t from = 0; from < text.size();) {
    std::size_t to = text.size();
    if (to - from > UINT_MAX) {
      const std::size_t cut = text.rfind('\n', from + UINT_MAX - 1);
      if (cut == std::string_view::npos || cut < from) return confirm_every_line();  // a line of over 4 GiB
      to = cut + 1;
    }
    Scan scan{text.data() + from, to - from, &candidates_};
    const std::size_t first_new = candidates_.size();
    if (hs_scan(database_, scan.text, static_cast<unsigned>(scan.size), 0, scratch_, on_match, &scan) != HS_SUCCESS)
      throw std::runtime_error("Hyperscan failed to scan a block");
    for (std::size_t i = first_new; i < candidates_.size(); ++i) candidates_[i] += from;
    from = to;
  }
  // Reports come mostly, not strictly, in order of their end.
  std::sort(candidates_.begin(), candidates_.end());
  candidates_.erase(std::unique(candidates_.begin(), candidates_.end()), candidates_.end());
  for (const std::size_t start : candidates_) confirm(start);
}

}  // namespace taskfarm

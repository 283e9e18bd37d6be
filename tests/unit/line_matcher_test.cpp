// The grep kernel against POSIX regexec applied to each line on its own (the definition).

#include <gtest/gtest.h>

#include <regex.h>

#include <random>
#include <string>
#include <vector>

#include "job/job.hpp"
#include "jobkit/line_matcher.hpp"

namespace taskfarm {
namespace {

std::vector<std::pair<std::size_t, std::string>> by_line(const std::string& pattern, const std::string& text) {
  regex_t regex;
  EXPECT_EQ(regcomp(&regex, pattern.c_str(), REG_EXTENDED | REG_NOSUB), 0) << pattern;
  std::vector<std::pair<std::size_t, std::string>> found;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    regmatch_t range[1] = {{0, static_cast<regoff_t>(line.size())}};
    if (regexec(&regex, line.data(), 1, range, REG_STARTEND) == 0) found.emplace_back(start, line);
    start = end + 1;
  }
  regfree(&regex);
  return found;
}

std::vector<std::pair<std::size_t, std::string>> matched(LineMatcher& matcher, const std::string& text) {
  std::vector<std::pair<std::size_t, std::string>> found;
  matcher.for_each_match(text, [&](std::size_t at, std::string_view line) { found.emplace_back(at, std::string(line)); });
  return found;
}

std::string random_text(std::mt19937_64& rng) {
  const std::vector<std::string> pieces = {"Copyright 2019", "copyright", "foo", "bar", "foobar", "a", "b", "ab",
                                           "x\\y", "[z]", "\t", " ", "\r", "2024", "\xe9t\xe9", "<w>", "aaaa",
                                           "end", "", "-", ".", "Copyright (C) 1999"};
  std::string text;
  for (int line = 0; line < 400; ++line) {
    for (int n = static_cast<int>(rng() % 6); n > 0; --n) text += pieces[rng() % pieces.size()];
    text += '\n';
  }
  text += "last line without a newline Copyright 2020 foo";
  return text;
}

TEST(LineMatcher, FindsExactlyTheLinesRegexecFindsOnEachLine) {
  const std::vector<std::string> patterns = {
      "Copyright [0-9]{4}", "foo|bar",       "^foo",      "bar$",       "^$",        "a.*b",        "[[:digit:]]+",
      "[^a-z ]",            "(ab)+c?",       "x\\\\y",    "\\[z\\]",    "a{2,3}",    "a{,2}",       "o\\b",
      "\\<w",               "(a)\\1",        "[\\.]",     "a*",         ".",         "end$|^Copy", "\xe9t\xe9",
      "copyright|COPYRIGHT", "[]z]",         "t\\.",      "Copyright \\(C\\) 1999"};
  std::mt19937_64 rng(5);
  for (int round = 0; round < 5; ++round) {
    const std::string text = random_text(rng);
    for (const std::string& p : patterns) {
      LineMatcher matcher(p);
      EXPECT_EQ(matched(matcher, text), by_line(p, text)) << "pattern " << p;
      EXPECT_EQ(matched(matcher, text + "\n"), by_line(p, text + "\n")) << "pattern " << p;
    }
  }
}

TEST(LineMatcher, UsesHyperscanOnlyWherePatternsMeanTheSame) {
  EXPECT_TRUE(LineMatcher("Copyright [0-9]{4}").accelerated());
  EXPECT_TRUE(LineMatcher("foo|^bar$|[[:alpha:]]x").accelerated());
  EXPECT_FALSE(LineMatcher("(a)\\1").accelerated());     // a back-reference
  EXPECT_FALSE(LineMatcher("\\<word").accelerated());    // a GNU word anchor
  EXPECT_FALSE(LineMatcher("[\\.]").accelerated());      // a literal backslash in ERE
  EXPECT_FALSE(LineMatcher("a{,2}").accelerated());      // a literal in PCRE
  EXPECT_FALSE(LineMatcher("a*").accelerated());         // matches the empty string
  EXPECT_FALSE(LineMatcher("^$").accelerated());         // likewise
}

TEST(LineMatcher, ABadPatternIsAUsageError) {
  EXPECT_THROW(LineMatcher("a("), UsageError);
  EXPECT_THROW(LineMatcher("[z-a]"), UsageError);
}

TEST(LineMatcher, ALongLineWithAMatchInEveryByteStaysLinear) {
  const std::string text = std::string(1 << 22, 'a') + "\nb\n" + std::string(1000, 'a');
  LineMatcher matcher("a");
  const auto found = matched(matcher, text);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].first, 0u);
  EXPECT_EQ(found[1].first, (1u << 22) + 3);
}

}  // namespace
}  // namespace taskfarm

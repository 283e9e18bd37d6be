// The wordcount kernel's table and scanner, against a naive std::map count.

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "jobkit/input.hpp"
#include "jobkit/word_table.hpp"

namespace taskfarm {
namespace {

std::map<std::string, std::uint64_t> naive_count(const std::string& text) {
  std::map<std::string, std::uint64_t> counts;
  std::string word;
  for (char c : text) {
    if (is_word_space(static_cast<unsigned char>(c))) {
      if (!word.empty()) ++counts[word];
      word.clear();
    } else {
      word.push_back(c);
    }
  }
  if (!word.empty()) ++counts[word];
  return counts;
}

std::map<std::string, std::uint64_t> as_map(const WordTable& table) {
  std::map<std::string, std::uint64_t> m;
  table.for_each([&](const WordTable::Entry& e, std::uint64_t hash) {
    EXPECT_EQ(hash, hash_word(e.word));
    EXPECT_TRUE(m.emplace(std::string(e.word), e.count).second) << "twice: " << e.word;
  });
  return m;
}

/// Text of random words (1 to 40 bytes, any byte but whitespace, many repeated) separated
/// by runs of every kind of whitespace.
std::string random_text(std::mt19937_64& rng, std::size_t words) {
  std::vector<std::string> vocabulary;
  for (int i = 0; i < 3000; ++i) {
    std::string w(1 + rng() % 40, 'x');
    for (char& c : w) {
      do c = static_cast<char>(rng() % 256);
      while (is_word_space(static_cast<unsigned char>(c)));
    }
    vocabulary.push_back(w);
  }
  const std::string spaces = " \t\n\v\f\r";
  std::string text;
  for (std::size_t i = 0; i < words; ++i) {
    text += vocabulary[rng() % (rng() % 2 ? 20 : vocabulary.size())];
    for (std::size_t n = 1 + rng() % 3; n > 0; --n) text += spaces[rng() % spaces.size()];
  }
  return text;
}

TEST(WordTable, CountsEveryWordOfPaddedTextAsANaiveCount) {
  std::mt19937_64 rng(11);
  for (std::size_t words : {0, 1, 7, 1000, 200000}) {
    const std::string text = random_text(rng, words) + "last";  // no whitespace at the end
    ReadBuffer buffer;  // the padding add_words needs
    char* at = buffer.reserve_more(text.size());
    text.copy(at, text.size());
    buffer.commit(text.size());
    WordTable table(16);  // small at first: it grows many times
    table.add_words(std::string_view(buffer.data(), buffer.size()));
    EXPECT_EQ(as_map(table), naive_count(text)) << words << " words";
    table.clear();
    EXPECT_EQ(table.size(), 0u);
    table.add_words(std::string_view(buffer.data(), buffer.size()));  // reused after clear
    EXPECT_EQ(as_map(table), naive_count(text));
  }
}

TEST(WordTable, CopiedKeysOutliveTheirTextAndSortBytewise) {
  WordTable table;
  {
    std::string a = "beta", b = "\xe9t\xe9", c = "alpha";
    table.add_copy(a, 2);
    table.add_copy(b, 1);
    table.add_copy(c, 5);
    table.add_copy(a, 3);
    a.assign(4, '?');  // the table kept its own copies
    b.clear();
  }
  const auto sorted = table.sorted();
  ASSERT_EQ(sorted.size(), 3u);
  EXPECT_EQ(sorted[0].word, "alpha");
  EXPECT_EQ(sorted[0].count, 5u);
  EXPECT_EQ(sorted[1].word, "beta");
  EXPECT_EQ(sorted[1].count, 5u);
  EXPECT_EQ(sorted[2].word, "\xe9t\xe9");  // bytes above 0x7f sort last, as sort(1) in the C locale
}

TEST(WordTable, PaddedAndPlainHashesAgreeForEveryLength) {
  std::string padded(64 + 8, '\0');
  for (std::size_t n = 1; n <= 64; ++n) {
    for (std::size_t i = 0; i < padded.size(); ++i) padded[i] = static_cast<char>('a' + (i * 7 + n) % 26);
    const std::string_view word(padded.data(), n);
    EXPECT_EQ(hash_padded(word.data(), n), hash_word(word)) << n;
    std::string other(word);
    EXPECT_TRUE(equal_padded(padded.data(), (other + "zzzzzzzz").data(), n));
    other.back() ^= 1;
    EXPECT_FALSE(equal_padded(padded.data(), (other + "zzzzzzzz").data(), n)) << n;
  }
}

}  // namespace
}  // namespace taskfarm

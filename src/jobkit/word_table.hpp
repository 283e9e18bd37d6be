#pragma once
// The wordcount kernel's data structures: a word scanner over a whole block of text and a
// flat open-addressing table of word counts, with no allocation per word. MPI-free.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace taskfarm {

/// A word is a maximal run of bytes other than ASCII whitespace (space, \t \n \v \f \r).
inline bool is_word_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "hash_word and hash_padded agree on little-endian only");

namespace word_hash {
constexpr std::uint64_t k = 0x9E3779B97F4A7C15ULL;
inline std::uint64_t load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint64_t mix8(std::uint64_t h, std::uint64_t v) {
  h = (h ^ v) * k;
  return h ^ (h >> 32);
}
/// The low n bytes (1..7) of an 8-byte load.
inline std::uint64_t low_bytes(std::uint64_t v, std::size_t n) { return v & ((std::uint64_t{1} << (8 * n)) - 1); }
inline std::uint64_t finish(std::uint64_t h) {
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  return h ^ (h >> 32);
}
}  // namespace word_hash

/// 64-bit hash of a word, reading 8 bytes at a time.
inline std::uint64_t hash_word(std::string_view word) {
  using namespace word_hash;
  const char* p = word.data();
  std::size_t n = word.size();
  std::uint64_t h = n * k;
  for (; n >= 8; p += 8, n -= 8) h = mix8(h, load8(p));
  if (n > 0) {
    std::uint64_t v = 0;
    std::memcpy(&v, p, n);
    h = (h ^ v) * k;
  }
  return finish(h);
}

/// hash_word for a word followed by at least 8 readable bytes: its tail is one load.
inline std::uint64_t hash_padded(const char* p, std::size_t n) {
  using namespace word_hash;
  std::uint64_t h = n * k;
  for (; n >= 8; p += 8, n -= 8) h = mix8(h, load8(p));
  if (n > 0) h = (h ^ low_bytes(load8(p), n)) * k;
  return finish(h);
}

/// Whether two words of n bytes, each followed by at least 8 readable bytes, are equal.
inline bool equal_padded(const char* a, const char* b, std::size_t n) {
  using namespace word_hash;
  for (; n >= 8; a += 8, b += 8, n -= 8)
    if (load8(a) != load8(b)) return false;
  return n == 0 || low_bytes(load8(a) ^ load8(b), n) == 0;
}

/// word -> count. Keys are views: into text the caller keeps alive (add), or into the
/// table's own arena (add_copy, add_words), for a table that outlives the text.
class WordTable {
 public:
  struct Entry {
    std::string_view word;
    std::uint64_t count;
  };

  explicit WordTable(std::size_t expected_words = 1024) { rebuild(capacity_for(expected_words)); }

  void add(std::string_view word, std::uint64_t n = 1) { insert(word, hash_word(word), n, false); }
  void add_copy(std::string_view word, std::uint64_t n) { insert(word, hash_word(word), n, true); }
  /// Counts every word of `text`, which must be followed by at least 8 readable bytes (a
  /// ReadBuffer's padding): words are hashed and compared 8 bytes at a time. New words are
  /// copied into the table's arena (padded too), so `text` may be reused at once; a table
  /// filled this way must hold such padded words only.
  void add_words(std::string_view text) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    while (p < end) {
      while (p < end && is_word_space(*p)) ++p;
      const auto* start = p;
      while (p < end && !is_word_space(*p)) ++p;
      if (p == start) continue;
      const auto* word = reinterpret_cast<const char*>(start);
      const auto size = static_cast<std::size_t>(p - start);
      const std::uint64_t hash = hash_padded(word, size);
      std::size_t i = hash & mask_;
      while (true) {
        Slot& s = slots_[i];
        if (!s.data) {
          place(i, Slot{hash, copy(std::string_view(word, size)), size, 1});
          break;
        }
        if (s.hash == hash && s.size == size && equal_padded(s.data, word, size)) {
          ++s.count;
          break;
        }
        i = (i + 1) & mask_;
      }
    }
  }

  std::size_t size() const { return used_.size(); }
  /// Calls f(entry, hash) for every entry, in the order they were first added.
  template <class F>
  void for_each(F&& f) const {
    for (const std::uint32_t i : used_) {
      const Slot& s = slots_[i];
      f(Entry{std::string_view(s.data, s.size), s.count}, s.hash);
    }
  }
  /// Every entry, sorted by word (bytewise).
  std::vector<Entry> sorted() const;
  /// Empties the table and keeps its capacity (a table reused for every block).
  void clear() {
    for (const std::uint32_t i : used_) slots_[i].data = nullptr;  // cost by entries, not capacity
    used_.clear();
    if (arena_.empty()) return;
    arena_.resize(1);  // the first chunk is reused: no allocation for a table cleared per block
    arena_next_ = arena_.front().get();
    arena_left_ = first_chunk_bytes_;
  }

 private:
  struct Slot {  // 32 bytes: a probe touches one cache line
    std::uint64_t hash;
    const char* data;  // null: empty
    std::uint64_t size;
    std::uint64_t count;
  };

  static std::size_t capacity_for(std::size_t words) {
    std::size_t c = 16;
    while (c < 2 * words) c *= 2;
    return c;
  }
  void rebuild(std::size_t capacity);
  void place(std::size_t i, const Slot& slot) {
    slots_[i] = slot;
    used_.push_back(static_cast<std::uint32_t>(i));
    if (used_.size() * 2 > slots_.size()) rebuild(slots_.size() * 2);  // load at most one half
  }
  const char* copy(std::string_view word);

  void insert(std::string_view word, std::uint64_t hash, std::uint64_t n, bool copy_key) {
    std::size_t i = hash & mask_;
    while (true) {
      Slot& s = slots_[i];
      if (!s.data) {
        place(i, Slot{hash, copy_key ? copy(word) : word.data(), word.size(), n});
        return;
      }
      if (s.hash == hash && s.size == word.size() && std::memcmp(s.data, word.data(), word.size()) == 0) {
        s.count += n;
        return;
      }
      i = (i + 1) & mask_;
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::vector<std::uint32_t> used_;  // the occupied slots, in insertion order
  std::vector<std::unique_ptr<char[]>> arena_;
  char* arena_next_ = nullptr;
  std::size_t arena_left_ = 0;
  std::size_t first_chunk_bytes_ = 0;
};

}  // namespace taskfarm

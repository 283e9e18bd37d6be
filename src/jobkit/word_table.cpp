#include "jobkit/word_table.hpp"

#include <algorithm>

namespace taskfarm {

void WordTable::rebuild(std::size_t capacity) {
  std::vector<Slot> old(capacity, Slot{0, nullptr, 0, 0});
  old.swap(slots_);
  mask_ = capacity - 1;
  for (std::uint32_t& at : used_) {  // reinserted in insertion order, which the list keeps
    const Slot& s = old[at];
    std::size_t i = s.hash & mask_;
    while (slots_[i].data) i = (i + 1) & mask_;
    slots_[i] = s;
    at = static_cast<std::uint32_t>(i);
  }
}

const char* WordTable::copy(std::string_view word) {
  if (word.size() > arena_left_) {
    const std::size_t chunk = std::max<std::size_t>(word.size(), 1 << 20);
    // 8 bytes more: add_words compares its words 8 bytes at a time, up to 7 past their end.
    arena_.push_back(std::make_unique<char[]>(chunk + 8));
    if (arena_.size() == 1) first_chunk_bytes_ = chunk;
    arena_next_ = arena_.back().get();
    arena_left_ = chunk;
  }
  char* at = arena_next_;
  std::memcpy(at, word.data(), word.size());
  arena_next_ += word.size();
  arena_left_ -= word.size();
  return at;
}

std::vector<WordTable::Entry> WordTable::sorted() const {
  std::vector<Entry> entries;
  entries.reserve(used_.size());
  for_each([&](const Entry& e, std::uint64_t) { entries.push_back(e); });
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.word < b.word; });
  return entries;
}

}  // namespace taskfarm

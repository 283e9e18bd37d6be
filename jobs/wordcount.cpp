// Word count as a real map-reduce. Map: each worker counts the words of its blocks in
// memory, and writes each block's counts to its part file too, where the journal vouches
// for them: a resumed run reads earlier runs' counts back from there instead of counting
// those blocks again. Shuffle: in finish(), every worker sends each word's partial count
// to the worker that owns the word (FNV-1a hash modulo the number of workers), in one
// all-to-all among the workers. Reduce: each worker adds up the words it owns and writes
// them, sorted, to its reduce file. No word passes through the master.
// A word is a maximal run of bytes other than ASCII whitespace; lines are "word<TAB>count".

#include <algorithm>
#include <charconv>
#include <fstream>
#include <stdexcept>
#include <unordered_map>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "taskfarm/input.hpp"
#include "taskfarm/job.hpp"
#include "taskfarm/text.hpp"
#include "taskfarm/wire.hpp"

namespace taskfarm {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

using Counts = std::unordered_map<std::string, std::uint64_t>;

class WordCountJob final : public Job {
 public:
  void add_options(CLI::App& command) override { input_.add_to(command); }
  void check_options(const Config&) override { input_.check(); }
  bool has_reduce_phase() const override { return true; }
  std::unique_ptr<TaskSource> open_source() override {
    return open_block_source(list_input_files(input_.paths), input_.block_size);
  }
  std::string describe(std::string_view payload) const override { return describe_block(payload); }

  void run(const TaskView& task, std::string& out) override {
    if (narrating()) narrate("run task " + std::to_string(task.id) + ": count " + describe_block(task.payload));
    // Count into a task-local table first, so a failing task adds nothing.
    Counts local;
    bytes_read_ += for_each_line(decode_block(task.payload), [&](std::uint64_t, std::string_view line) {
      std::size_t i = 0;
      while (i < line.size()) {
        while (i < line.size() && is_space(line[i])) ++i;
        const std::size_t start = i;
        while (i < line.size() && !is_space(line[i])) ++i;
        if (i > start) ++local[std::string(line.substr(start, i - start))];
      }
    });
    for (auto& [word, n] : local) {
      append_count(out, word, n);
      counts_[word] += n;
    }
  }

  void finish(WorkerContext& context) override {
    for (const PartSlice& earlier : context.earlier_output()) read_counts(earlier);
    const auto workers = static_cast<std::size_t>(context.workers());
    std::vector<std::string> outgoing(workers);
    for (const auto& [word, n] : counts_) {
      std::string& to = outgoing[fnv1a(word) % workers];
      wire::put(to, static_cast<std::uint32_t>(word.size()));
      to.append(word);
      wire::put(to, n);
    }
    counts_.clear();
    Counts mine;
    for (const std::string& received : context.exchange(outgoing)) {
      std::string_view in = received;
      while (!in.empty()) {
        const auto len = wire::get<std::uint32_t>(in);
        const std::string_view word = wire::get_bytes(in, len);
        mine[std::string(word)] += wire::get<std::uint64_t>(in);
      }
    }
    std::vector<std::pair<std::string_view, std::uint64_t>> sorted(mine.begin(), mine.end());
    std::sort(sorted.begin(), sorted.end());
    std::string& out = context.output();
    for (const auto& [word, n] : sorted) append_count(out, word, n);
  }
  std::uint64_t bytes_read() const override { return bytes_read_; }
  nlohmann::json parameters() const override { return {{"input", input_.paths}, {"block_size", input_.block_size}}; }

 private:
  static void append_count(std::string& out, std::string_view word, std::uint64_t n) {
    out.append(word).push_back('\t');
    append_decimal(out, n);
    out.push_back('\n');
  }

  /// Adds the "word<TAB>count" lines of an earlier run's map output.
  void read_counts(const PartSlice& part) {
    std::ifstream in(part.path, std::ios::binary);
    std::string text(part.bytes, '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(part.bytes)))
      throw std::runtime_error("cannot read " + std::to_string(part.bytes) + " bytes of map output from " + part.path);
    std::string_view rest = text;
    while (!rest.empty()) {
      const std::size_t tab = rest.find('\t');
      const std::size_t end = rest.find('\n', tab);
      if (tab == std::string_view::npos || end == std::string_view::npos)
        throw std::runtime_error("damaged map output in " + part.path);
      std::uint64_t n = 0;
      const std::string_view number = rest.substr(tab + 1, end - tab - 1);
      std::from_chars(number.data(), number.data() + number.size(), n);
      counts_[std::string(rest.substr(0, tab))] += n;
      rest.remove_prefix(end + 1);
    }
  }

  InputOptions input_;
  Counts counts_;
  std::uint64_t bytes_read_ = 0;
};

}  // namespace

TASKFARM_REGISTER_JOB(WordCountJob, "wordcount", "Count the words of --input (map, shuffle among the workers, reduce)");

}  // namespace taskfarm

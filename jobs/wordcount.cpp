// Word count as a real map-reduce. Map: each worker counts the words of its blocks in
// memory, and writes each block's counts to its part file too, where the journal vouches
// for them: a resumed run reads earlier runs' counts back from there instead of counting
// those blocks again. Shuffle: in finish(), every worker sends each word's partial count
// to the worker that owns the word (its hash modulo the number of workers), in one
// all-to-all among the workers. Reduce: each worker adds up the words it owns and writes
// them, sorted, to its reduce file. No word passes through the master.
// A word is a maximal run of bytes other than ASCII whitespace; lines are "word<TAB>count".

#include <algorithm>
#include <charconv>
#include <fstream>
#include <stdexcept>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/text.hpp"
#include "core/wire.hpp"
#include "job/job.hpp"
#include "jobkit/input.hpp"
#include "jobkit/word_table.hpp"

namespace taskfarm {
namespace {

constexpr std::uint64_t piece_bytes = std::uint64_t{1} << 20;  // 1 MiB: read into the cache, counted there

class WordCountJob final : public JobCommand, public JobSource, public Kernel, public ReducePhase {
 public:
  JobRoles roles() override {
    JobRoles roles;
    roles.source = this;
    roles.kernel = this;
    roles.reduce = this;
    return roles;
  }
  void add_options(CLI::App& command) override { input_.add_to(command); }
  void check_options(const JobSettings&) override { input_.check(); }
  std::unique_ptr<TaskSource> open() override {
    return open_block_source(list_input_files(input_.paths), input_.block_size);
  }
  std::string describe(std::string_view payload) const override { return describe_block(payload); }

  void run(TaskContext& task) override {
    if (narrating()) narrate("run task " + std::to_string(task.id) + ": count " + describe_block(task.payload));
    std::string& out = *task.out;
    // Count into a task-local table first, so a failing task adds nothing; then into the
    // worker's table. The block is read in pieces that stay in the cache for the count
    // (the lines that start in a block are those that start in its pieces).
    const BlockRef block = decode_block(task.payload);
    block_counts_.clear();
    bytes_read_ += for_each_block_piece(block, piece_bytes, buffer_,
                                        [&](const BlockText& piece) { block_counts_.add_words(piece.text); });
    block_counts_.for_each([&](const WordTable::Entry& e, std::uint64_t) {
      append_count(out, e.word, e.count);
      counts_.add_copy(e.word, e.count);
    });
  }

  void finish(WorkerContext& context) override {
    for (const PartSlice& earlier : context.earlier_output()) read_counts(earlier);
    const auto workers = static_cast<std::size_t>(context.workers());
    std::vector<std::string> outgoing(workers);
    counts_.for_each([&](const WordTable::Entry& e, std::uint64_t hash) {
      std::string& to = outgoing[hash % workers];  // every worker hashes alike: one owner per word
      wire::put(to, static_cast<std::uint32_t>(e.word.size()));
      to.append(e.word);
      wire::put(to, e.count);
    });
    counts_.clear();
    const std::vector<std::string> received = context.exchange(outgoing);
    WordTable mine;  // views into `received`, which outlives it
    for (const std::string& from : received) {
      std::string_view in = from;
      while (!in.empty()) {
        const auto len = wire::get<std::uint32_t>(in);
        const std::string_view word = wire::get_bytes(in, len);
        mine.add(word, wire::get<std::uint64_t>(in));
      }
    }
    std::string& out = context.output();
    for (const WordTable::Entry& e : mine.sorted()) append_count(out, e.word, e.count);
  }
  KernelCounts counts() const override { return {bytes_read_, {}}; }
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
      counts_.add_copy(rest.substr(0, tab), n);
      rest.remove_prefix(end + 1);
    }
  }

  InputOptions input_;
  ReadBuffer buffer_;         // the piece of a block being counted, reused
  WordTable block_counts_;    // the block's words
  WordTable counts_;          // every block's counts on this worker
  std::uint64_t bytes_read_ = 0;
};

}  // namespace

TASKFARM_REGISTER_JOB(WordCountJob, "wordcount", "Count the words of --input (map, shuffle among the workers, reduce)");

}  // namespace taskfarm

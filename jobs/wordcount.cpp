// Word count as a real map-reduce. Map: each worker counts the words of its blocks in
// memory. Shuffle: in finish(), every worker sends each word's partial count to the
// worker that owns the word (FNV-1a hash modulo the number of workers), in one
// all-to-all among the workers. Reduce: each worker adds up the words it owns and
// writes them, sorted, to its part file. No word passes through the master.
// A word is a maximal run of bytes other than ASCII whitespace; lines are "word<TAB>count".

#include <algorithm>
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
  bool needs_output_dir() const override { return true; }
  bool resumable() const override { return false; }  // the map's counts live in memory
  std::unique_ptr<TaskSource> open_source() override {
    return open_block_source(list_input_files(input_.paths), input_.block_size);
  }
  std::string describe(std::string_view payload) const override { return describe_block(payload); }

  void run(const TaskView& task, std::string&) override {
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
    for (auto& [word, n] : local) counts_[word] += n;
  }

  void finish(WorkerContext& context) override {
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
    for (const auto& [word, n] : sorted) {
      out.append(word).push_back('\t');
      append_decimal(out, n);
      out.push_back('\n');
    }
  }
  std::uint64_t bytes_read() const override { return bytes_read_; }
  nlohmann::json parameters() const override { return {{"input", input_.paths}, {"block_size", input_.block_size}}; }

 private:
  InputOptions input_;
  Counts counts_;
  std::uint64_t bytes_read_ = 0;
};

}  // namespace

TASKFARM_REGISTER_JOB(WordCountJob, "wordcount", "Count the words of --input (map, shuffle among the workers, reduce)");

}  // namespace taskfarm

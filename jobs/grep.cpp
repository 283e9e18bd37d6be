// grep over block input: one line per match, "path:byte-offset:line", as `grep -H -b -E`
// prints it (POSIX extended regular expressions, C locale, the line as it is, CR
// included). Each block is searched whole (LineMatcher: Hyperscan, confirmed by regexec).

#include <algorithm>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/text.hpp"
#include "job/job.hpp"
#include "jobkit/input.hpp"
#include "jobkit/line_matcher.hpp"

namespace taskfarm {
namespace {

constexpr std::uint64_t piece_bytes = std::uint64_t{1} << 20;  // 1 MiB: the read stays in L2 for the search

class GrepJob final : public JobCommand, public JobSource, public Kernel {
 public:
  JobRoles roles() override {
    JobRoles roles;
    roles.source = this;
    roles.kernel = this;
    return roles;
  }
  void add_options(CLI::App& command) override {
    command.add_option("--pattern,-e", pattern_, "Extended regular expression (as grep -E)")->required();
    input_.add_to(command);
  }
  void check_options(const JobSettings&) override {
    input_.check();
    matcher_ = std::make_unique<LineMatcher>(pattern_);
  }
  std::unique_ptr<TaskSource> open() override {
    return open_block_source(list_input_files(input_.paths), input_.block_size);
  }
  std::string describe(std::string_view payload) const override { return describe_block(payload); }
  void run(TaskContext& task) override {
    const BlockRef block = decode_block(task.payload);
    if (narrating()) narrate("run task " + std::to_string(task.id) + ": grep " + describe_block(task.payload));
    std::string& out = *task.out;
    bytes_read_ += for_each_block_piece(block, piece_bytes, buffer_, [&](const BlockText& text) {
      matcher_->for_each_match(text.text, [&](std::size_t offset, std::string_view line) {
        out.append(block.path).push_back(':');
        append_decimal(out, text.file_offset + offset);
        out.push_back(':');
        out.append(line).push_back('\n');
      });
    });
  }
  KernelCounts counts() const override { return {bytes_read_, {}}; }
  nlohmann::json parameters() const override {
    return {{"pattern", pattern_}, {"input", input_.paths}, {"block_size", input_.block_size}};
  }

 private:
  std::string pattern_;
  InputOptions input_;
  std::unique_ptr<LineMatcher> matcher_;
  ReadBuffer buffer_;  // the block being searched, reused
  std::uint64_t bytes_read_ = 0;
};

}  // namespace

TASKFARM_REGISTER_JOB(GrepJob, "grep", "Lines matching --pattern in --input, as grep -H -b -E");

}  // namespace taskfarm

// grep over block input: one line per match, "path:byte-offset:line", as `grep -H -b -E`
// prints it (POSIX extended regular expressions, C locale, the line as it is, CR
// included).

#include <regex.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "taskfarm/input.hpp"
#include "taskfarm/job.hpp"
#include "taskfarm/text.hpp"

namespace taskfarm {
namespace {

class GrepJob final : public Job {
 public:
  ~GrepJob() override {
    if (compiled_) regfree(&regex_);
  }
  void add_options(CLI::App& command) override {
    command.add_option("--pattern,-e", pattern_, "Extended regular expression (as grep -E)")->required();
    input_.add_to(command);
  }
  void check_options(const Config&) override {
    input_.check();
    const int rc = regcomp(&regex_, pattern_.c_str(), REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
      char why[256];
      regerror(rc, &regex_, why, sizeof why);
      throw UsageError("--pattern: invalid regular expression '" + pattern_ + "': " + why);
    }
    compiled_ = true;
  }
  std::unique_ptr<TaskSource> open_source() override {
    return open_block_source(list_input_files(input_.paths), input_.block_size);
  }
  std::string describe(std::string_view payload) const override { return describe_block(payload); }
  void run(const TaskView& task, std::string& out) override {
    const BlockRef block = decode_block(task.payload);
    if (narrating()) narrate("run task " + std::to_string(task.id) + ": grep " + describe_block(task.payload));
    bytes_read_ += for_each_line(block, [&](std::uint64_t offset, std::string_view line) {
      regmatch_t range[1];
      range[0].rm_so = 0;
      range[0].rm_eo = static_cast<regoff_t>(line.size());
      if (regexec(&regex_, line.data(), 1, range, REG_STARTEND) != 0) return;
      out.append(block.path).push_back(':');
      append_decimal(out, offset);
      out.push_back(':');
      out.append(line).push_back('\n');
    });
  }
  std::uint64_t bytes_read() const override { return bytes_read_; }
  nlohmann::json parameters() const override {
    return {{"pattern", pattern_}, {"input", input_.paths}, {"block_size", input_.block_size}};
  }

 private:
  std::string pattern_;
  InputOptions input_;
  regex_t regex_{};
  bool compiled_ = false;
  std::uint64_t bytes_read_ = 0;
};

}  // namespace

TASKFARM_REGISTER_JOB(GrepJob, "grep", "Lines matching --pattern in --input, as grep -H -b -E");

}  // namespace taskfarm

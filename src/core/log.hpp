#pragma once
// Timestamped log lines on stderr. Each line leaves in a single write(2), so lines from
// one rank never interleave; worker lines carry the rank.

#include <string>
#include <string_view>

namespace taskfarm::log {

/// Sets the prefix: "master" for rank 0, "rank N" otherwise.
void set_rank(int rank);
/// "2026-11-26 16:10:00.123 taskfarm rank 3: text"
void line(std::string_view text);
/// Text as it is, in full (a progress bar's redraw, a task's stderr).
void raw(std::string_view text);
/// One plain line "taskfarm: error: text", for usage errors.
void error(std::string_view text);
/// Whether kernels narrate (-v): taskfarm::narrate() writes a line, narrating() says so.
void set_narrating(bool on);
bool narrating();

}  // namespace taskfarm::log

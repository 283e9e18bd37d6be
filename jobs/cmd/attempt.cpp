#include "attempt.hpp"

#include "core/text.hpp"
#include "core/wire.hpp"

namespace taskfarm::cmd {

namespace {

void put_text(std::string& out, std::string_view text) {
  wire::put(out, static_cast<std::uint32_t>(text.size()));
  out.append(text);
}

std::string_view get_text(std::string_view& in) { return wire::get_bytes(in, wire::get<std::uint32_t>(in)); }

}  // namespace

void put_attempt(std::string& data, const AttemptRecord& record, const AttemptPlace& place, std::string_view out) {
  wire::put(data, record);
  put_text(data, place.host);
  put_text(data, place.gpus);
  put_text(data, place.cpus);
  put_text(data, place.command);
  put_text(data, out);
}

DecodedAttempt decode_attempt(std::string_view data) {
  DecodedAttempt d{};
  d.record = wire::get<AttemptRecord>(data);
  d.host = get_text(data);
  d.gpus = get_text(data);
  d.cpus = get_text(data);
  d.command = get_text(data);
  d.out = get_text(data);
  d.err = data;
  return d;
}

bool failed_outside_command(const AttemptRecord& r) { return r.exit_value == -1 && r.signal == 0 && !r.timed_out; }

std::string failure_message(std::string_view data, double task_timeout_s) {
  const DecodedAttempt attempt = decode_attempt(data);
  const AttemptRecord r = attempt.record;
  if (failed_outside_command(r)) return std::string(attempt.err);
  if (r.timed_out)
    return "timed out after " + seconds_text(task_timeout_s) + " s (--task-timeout); process group killed by signal " +
           std::to_string(r.signal);
  if (r.signal != 0) return "killed by signal " + std::to_string(r.signal);
  return "exit value " + std::to_string(r.exit_value);
}

}  // namespace taskfarm::cmd

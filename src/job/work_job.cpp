#include "job/work_job.hpp"

#include <fstream>
#include <stdexcept>

namespace taskfarm {

WorkJob::WorkJob(detail::Work& work, nlohmann::json parameters, bool has_output_dir)
    : work_(work),
      parameters_(std::move(parameters)),
      part_files_(has_output_dir && work.shape != detail::Shape::to_root) {}

JobRoles WorkJob::roles() {
  JobRoles roles;
  roles.source = this;
  roles.kernel = work_.kernel.get();
  // Results go to rank 0's sink or fold, unless a fold's partial values are in part files.
  if (work_.root && !part_files_) roles.results = this;
  if (work_.shape == detail::Shape::fold) roles.fold = this;
  roles.part_files = work_.shape != detail::Shape::to_root;
  roles.submits = work_.submits;
  roles.groups = true;
  return roles;
}

void WorkJob::deliver(const ResultView& result, ResultSink&) {
  if (result.status == TaskStatus::ok) work_.root->deliver(result.data);
}

std::string WorkJob::fold_value(const std::vector<PartSlice>& parts) {
  for (const PartSlice& part : parts) {
    std::string bytes(part.bytes, '\0');
    std::ifstream in(part.path, std::ios::binary);
    if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
      throw std::runtime_error("cannot read the partial values in " + part.path);
    std::string_view records = bytes;
    while (!records.empty()) {
      const auto size = codec<std::uint64_t>::decode(records);
      if (size > records.size()) throw std::runtime_error(part.path + ": a partial value is cut short");
      work_.root->add_partial(records.substr(0, static_cast<std::size_t>(size)));
      records.remove_prefix(static_cast<std::size_t>(size));
    }
  }
  return work_.root->value_text();
}

nlohmann::json option_values(const std::vector<detail::OptionSpec>& options) {
  nlohmann::json values = nlohmann::json::object();
  for (const auto& spec : options) {
    const std::string key = spec.name.substr(spec.name.find_first_not_of('-'));
    values[key] = spec.type_name == "TEXT" ? nlohmann::json(spec.current()) : nlohmann::json::parse(spec.current());
  }
  return values;
}

}  // namespace taskfarm

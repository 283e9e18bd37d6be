#include "jobkit/devices.hpp"

#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace taskfarm {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) items.push_back(item);
  return items;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ",") + item;
  return text;
}

std::string join_list(const std::vector<int>& items) {
  std::vector<std::string> texts;
  for (int item : items) texts.push_back(std::to_string(item));
  return join_list(texts);
}

namespace {

std::vector<std::string> nvidia_device_files() {
  std::vector<int> numbers;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/dev", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 6 && name.compare(0, 6, "nvidia") == 0 &&
        name.find_first_not_of("0123456789", 6) == std::string::npos)
      numbers.push_back(std::atoi(name.c_str() + 6));
  }
  std::sort(numbers.begin(), numbers.end());
  std::vector<std::string> ids;
  for (int n : numbers) ids.push_back(std::to_string(n));
  return ids;
}

std::vector<std::string> nvidia_smi_gpus() {
  std::vector<std::string> ids;
  std::FILE* pipe = ::popen("nvidia-smi -L 2>/dev/null", "r");
  if (!pipe) return ids;
  char line[512];
  while (std::fgets(line, sizeof line, pipe))
    if (std::string_view(line).substr(0, 4) == "GPU ") ids.push_back(std::to_string(ids.size()));
  ::pclose(pipe);
  return ids;
}

}  // namespace

GpuList find_gpus(const std::optional<std::string>& listed) {
  if (listed) return {split_list(*listed), "--gpus"};
  for (const char* name :
       {"CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "SLURM_STEP_GPUS", "SLURM_JOB_GPUS"}) {
    const char* value = std::getenv(name);
    if (value && *value) return {split_list(value), name};
  }
  if (auto files = nvidia_device_files(); !files.empty()) return {files, "/dev/nvidia*"};
  return {nvidia_smi_gpus(), "nvidia-smi -L"};
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  std::vector<int> cpus;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

}  // namespace taskfarm

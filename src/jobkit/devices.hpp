#pragma once
// What a node gives a worker's process slots: its GPUs (from --gpus, the launcher's
// environment, Slurm, or the device files) and the cores the rank may use. MPI-free.

#include <optional>
#include <string>
#include <vector>

namespace taskfarm {

/// The GPUs a rank can see, as CUDA_VISIBLE_DEVICES would list them (numbers or UUIDs).
struct GpuList {
  std::vector<std::string> ids;
  std::string source;  // where they were found, for messages
};

/// In this order: `listed` (--gpus); CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES or
/// HIP_VISIBLE_DEVICES; SLURM_STEP_GPUS or SLURM_JOB_GPUS; /dev/nvidia[0-9]*, or
/// `nvidia-smi -L`. Empty ids when none is found.
GpuList find_gpus(const std::optional<std::string>& listed);

/// The cores this rank may run on (sched_getaffinity), ascending.
std::vector<int> allowed_cpus();

/// Splits a comma-separated list ("0,1,2"); empty items are dropped.
std::vector<std::string> split_list(const std::string& text);
/// Joins with commas: "0,1,5", as tasks see GPUs and cores (TASKFARM_GPUS, TASKFARM_CPUS).
std::string join_list(const std::vector<std::string>& items);
std::string join_list(const std::vector<int>& items);

/// The `index`-th of `count` nearly equal contiguous parts of `items` (none of none).
template <typename T>
std::vector<T> share_of(const std::vector<T>& items, int index, int count) {
  if (count <= 0) return {};
  const std::size_t n = items.size();
  const auto begin = n * static_cast<std::size_t>(index) / static_cast<std::size_t>(count);
  const auto end = n * static_cast<std::size_t>(index + 1) / static_cast<std::size_t>(count);
  return std::vector<T>(items.begin() + static_cast<long>(begin), items.begin() + static_cast<long>(end));
}

/// `count` consecutive slices of `size` items each, from the front of `items` (which
/// holds at least count * size).
template <typename T>
std::vector<std::vector<T>> slices(const std::vector<T>& items, std::size_t count, std::size_t size) {
  std::vector<std::vector<T>> out(count);
  for (std::size_t s = 0; s < count; ++s)
    out[s].assign(items.begin() + static_cast<long>(s * size), items.begin() + static_cast<long>((s + 1) * size));
  return out;
}

}  // namespace taskfarm

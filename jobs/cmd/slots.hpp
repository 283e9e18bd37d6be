#pragma once
// cmd's process slots and what each holds of its node: GPUs (--gpus-per-slot) and cores
// (--cpus-per-slot), split among the worker ranks on a node, and the environment and
// pinning that give a task only its slot's share.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "job/job.hpp"
#include "jobkit/process.hpp"

namespace taskfarm::cmd {

class Slots {
 public:
  /// --slots-per-worker, --gpus-per-slot, --gpus, --cpus-per-slot.
  void add_options(CLI::App& command);
  /// Throws UsageError for a --gpus list that is bad or unused, and for slots options
  /// with tasks on groups of ranks.
  void check_options(std::uint32_t ranks_per_task) const;
  /// This rank's share of its node's GPUs and cores (collective through `share`), sliced
  /// into slots: as many as --slots-per-worker, or as the GPUs and cores allow. Throws
  /// UsageError when a slot would get too few.
  std::size_t claim(int rank, bool runs_tasks, const ShareOnNode& share, const std::string& host);
  std::size_t count() const { return busy_.size(); }
  /// A free slot, now busy. Throws std::logic_error when none is free.
  std::size_t take();
  void release(std::size_t slot) { busy_[slot] = false; }
  /// The slot's GPUs and cores in the task's environment, and its cores to pin it to.
  void give_to(std::size_t slot, ProcessSpec& spec) const;
  std::string gpus_text(std::size_t slot) const;
  std::string cpus_text(std::size_t slot) const;
  /// mpirun and srun may bind a rank to one core, and its commands inherit that: N slots
  /// would then share one core. With more slots than bound cores, this rank and its
  /// commands may use every core (the kernel keeps them inside the job's cpuset).
  /// Returns what it did, for --verbose (empty: nothing).
  std::string widen_cpu_binding() const;

 private:
  std::size_t slots_for(std::size_t gpus, std::size_t cpus) const;

  std::optional<std::size_t> slots_option_;
  std::size_t gpus_per_slot_ = 0;
  std::optional<std::string> gpus_listed_;
  std::size_t cpus_per_slot_ = 0;
  std::vector<bool> busy_ = std::vector<bool>(1, false);  // by slot (claim() sizes it)
  std::vector<std::vector<std::string>> gpus_ = std::vector<std::vector<std::string>>(1);
  std::vector<std::vector<int>> cpus_ = std::vector<std::vector<int>>(1);
};

}  // namespace taskfarm::cmd

#include "slots.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "jobkit/devices.hpp"

namespace taskfarm::cmd {

namespace {

/// What a rank found of its node's GPUs or cores, for the message when a slot gets too few.
struct Found {
  std::vector<std::string> gpus;
  std::string gpus_text;
  std::vector<int> cpus;
  std::string cpus_text;
};

Found find_gpus_share(const std::optional<std::string>& listed, const ShareOnNode& share, Found found) {
  const GpuList gpus = find_gpus(listed);
  const NodeShare mine = share(join_list(gpus.ids));
  found.gpus = share_of(gpus.ids, mine.index, mine.count);
  found.gpus_text = gpus.ids.empty()
                        ? "found none (give --gpus LIST)"
                        : "has " + std::to_string(found.gpus.size()) +
                              (mine.count > 1 ? " of the node's " + std::to_string(gpus.ids.size()) + " (split among " +
                                                    std::to_string(mine.count) + " workers)"
                                              : "") +
                              ": " + join_list(found.gpus) + " (from " + gpus.source + ")";
  return found;
}

Found find_cpus_share(const ShareOnNode& share, Found found) {
  const std::vector<int> allowed = allowed_cpus();
  const NodeShare mine = share(join_list(allowed));
  found.cpus = share_of(allowed, mine.index, mine.count);
  found.cpus_text = "may use " + std::to_string(found.cpus.size()) + " (cpuset " + join_list(allowed) +
                    (mine.count > 1 ? ", split among " + std::to_string(mine.count) + " workers" : "") +
                    "; a launcher binds ranks to cores: mpirun --bind-to none, or sbatch -c N, gives more)";
  return found;
}

}  // namespace

void Slots::add_options(CLI::App& command) {
  command.add_option("--slots-per-worker", slots_option_,
                     "Commands one worker runs at once (default: 1, or as many as --gpus-per-slot and "
                     "--cpus-per-slot allow)")
      ->check(CLI::Range(1, 4096));
  command.add_option("--gpus-per-slot", gpus_per_slot_,
                     "GPUs each slot holds of its own; its tasks see only them (CUDA_VISIBLE_DEVICES, "
                     "ROCR_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES, TASKFARM_GPUS). Worker ranks on one node split "
                     "its GPUs")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  command.add_option("--gpus", gpus_listed_,
                     "A node's GPUs, comma-separated (default: CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES, "
                     "HIP_VISIBLE_DEVICES, SLURM_STEP_GPUS, SLURM_JOB_GPUS, then /dev/nvidia*)");
  command.add_option("--cpus-per-slot", cpus_per_slot_,
                     "Cores each slot holds of its own, from the rank's cpuset; its tasks are pinned to them "
                     "(TASKFARM_CPUS) with OMP_NUM_THREADS set. Worker ranks on one node with the same cpuset "
                     "split it")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
}

void Slots::check_options(std::uint32_t ranks_per_task) const {
  const char* given = slots_option_ ? "--slots-per-worker" : gpus_per_slot_ ? "--gpus-per-slot" : cpus_per_slot_ ? "--cpus-per-slot" : nullptr;
  if (given && ranks_per_task > 1)
    throw UsageError(std::string(given) + " is for tasks of one rank; with --ranks-per-task each task has its group's "
                     "ranks and cores (TASKFARM_MPIRUN starts them)");
  if (gpus_listed_ && split_list(*gpus_listed_).empty())
    throw UsageError("--gpus: expected a comma-separated list of GPUs, got '" + *gpus_listed_ + "'");
  if (gpus_listed_ && split_list(*gpus_listed_).size() != static_cast<std::size_t>(std::count(
                                                               gpus_listed_->begin(), gpus_listed_->end(), ',')) + 1)
    throw UsageError("--gpus: the list '" + *gpus_listed_ + "' has an empty element");
  if (gpus_listed_ && gpus_per_slot_ == 0) throw UsageError("--gpus is only used with --gpus-per-slot N");
}

/// Without --slots-per-worker: as many slots as the GPUs and cores allow.
std::size_t Slots::slots_for(std::size_t gpus, std::size_t cpus) const {
  std::size_t slots = slots_option_.value_or(0);
  if (slots != 0) return slots;
  slots = SIZE_MAX;
  if (gpus_per_slot_ > 0) slots = std::min(slots, gpus / gpus_per_slot_);
  if (cpus_per_slot_ > 0) slots = std::min(slots, cpus / cpus_per_slot_);
  return slots == SIZE_MAX ? 1 : std::max<std::size_t>(slots, 1);
}

std::size_t Slots::claim(int rank, bool runs_tasks, const ShareOnNode& share, const std::string& host) {
  Found found;
  if (gpus_per_slot_ > 0) found = find_gpus_share(gpus_listed_, share, std::move(found));
  if (cpus_per_slot_ > 0) found = find_cpus_share(share, std::move(found));
  if (!runs_tasks) return 0;
  const std::size_t slots = slots_for(found.gpus.size(), found.cpus.size());
  const auto too_few = [&](const char* option, std::size_t per_slot, const char* what, const std::string& text) {
    return UsageError(std::string(option) + " " + std::to_string(per_slot) + " for " + std::to_string(slots) +
                      (slots == 1 ? " slot" : " slots") + " needs " + std::to_string(slots * per_slot) + " " + what +
                      "; rank " + std::to_string(rank) + " on " + host + " " + text);
  };
  if (found.gpus.size() < slots * gpus_per_slot_) throw too_few("--gpus-per-slot", gpus_per_slot_, "GPUs", found.gpus_text);
  if (found.cpus.size() < slots * cpus_per_slot_) throw too_few("--cpus-per-slot", cpus_per_slot_, "cores", found.cpus_text);
  busy_.assign(slots, false);
  gpus_ = slices(found.gpus, slots, gpus_per_slot_);
  cpus_ = slices(found.cpus, slots, cpus_per_slot_);
  return slots;
}

std::size_t Slots::take() {
  // SlotRunner never starts more tasks than there are slots.
  const auto slot = static_cast<std::size_t>(std::find(busy_.begin(), busy_.end(), false) - busy_.begin());
  if (slot == busy_.size()) throw std::logic_error("cmd: a task was started with every slot busy");
  busy_[slot] = true;
  return slot;
}

void Slots::give_to(std::size_t slot, ProcessSpec& spec) const {
  if (gpus_per_slot_ > 0) {
    const std::string gpus = gpus_text(slot);
    for (const char* name : {"CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "TASKFARM_GPUS"})
      spec.env.emplace_back(name, gpus);
  }
  if (cpus_per_slot_ > 0) {
    spec.cpus = cpus_[slot];
    spec.env.emplace_back("OMP_NUM_THREADS", std::to_string(cpus_per_slot_));
    spec.env.emplace_back("TASKFARM_CPUS", join_list(spec.cpus));
  }
}

std::string Slots::gpus_text(std::size_t slot) const { return join_list(gpus_[slot]); }
std::string Slots::cpus_text(std::size_t slot) const { return join_list(cpus_[slot]); }

std::string Slots::widen_cpu_binding() const {
  if (cpus_per_slot_ > 0) return {};  // the slots' own cores bind them
  cpu_set_t bound;
  const auto slots = static_cast<int>(count());
  if (slots <= 1 || sched_getaffinity(0, sizeof bound, &bound) != 0 || CPU_COUNT(&bound) >= slots) return {};
  cpu_set_t all;
  CPU_ZERO(&all);
  const long cpus = sysconf(_SC_NPROCESSORS_CONF);
  for (long cpu = 0; cpu < cpus && cpu < CPU_SETSIZE; ++cpu) CPU_SET(static_cast<int>(cpu), &all);
  if (sched_setaffinity(0, sizeof all, &all) != 0) return {};
  return "bound to " + std::to_string(CPU_COUNT(&bound)) + " cores, fewer than --slots-per-worker " +
         std::to_string(slots) + ": commands may use every core";
}

}  // namespace taskfarm::cmd

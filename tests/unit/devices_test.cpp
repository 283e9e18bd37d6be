#include <gtest/gtest.h>

#include <cstdlib>

#include "jobkit/devices.hpp"

namespace taskfarm {

TEST(Devices, SharesSplitAListIntoNearlyEqualContiguousParts) {
  const std::vector<int> gpus{0, 1, 2, 3, 4};
  EXPECT_EQ(share_of(gpus, 0, 1), gpus);
  EXPECT_EQ(share_of(gpus, 0, 2), (std::vector<int>{0, 1}));
  EXPECT_EQ(share_of(gpus, 1, 2), (std::vector<int>{2, 3, 4}));
  EXPECT_EQ(share_of(gpus, 2, 3), (std::vector<int>{3, 4}));
  EXPECT_TRUE(share_of(std::vector<int>{7}, 0, 2).empty());
  EXPECT_TRUE(share_of(gpus, 0, 0).empty());
}

TEST(Devices, SlicesGiveEachSlotItsOwnItems) {
  const auto slots = slices(std::vector<int>{0, 1, 2, 3, 4}, 2, 2);
  EXPECT_EQ(slots, (std::vector<std::vector<int>>{{0, 1}, {2, 3}}));
  EXPECT_EQ(slices(std::vector<int>{}, 3, 0), (std::vector<std::vector<int>>(3)));
}

TEST(Devices, GpusComeFromTheOptionThenTheEnvironmentThenSlurm) {
  for (const char* name : {"CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "SLURM_STEP_GPUS",
                           "SLURM_JOB_GPUS"})
    ::unsetenv(name);
  ::setenv("SLURM_JOB_GPUS", "4,5", 1);
  EXPECT_EQ(find_gpus(std::nullopt).ids, (std::vector<std::string>{"4", "5"}));
  EXPECT_EQ(find_gpus(std::nullopt).source, "SLURM_JOB_GPUS");
  ::setenv("ROCR_VISIBLE_DEVICES", "GPU-aa,GPU-bb,GPU-cc", 1);
  EXPECT_EQ(find_gpus(std::nullopt).ids, (std::vector<std::string>{"GPU-aa", "GPU-bb", "GPU-cc"}));
  ::setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3", 1);
  EXPECT_EQ(find_gpus(std::nullopt).source, "CUDA_VISIBLE_DEVICES");
  EXPECT_EQ(find_gpus(std::nullopt).ids.size(), 4u);
  EXPECT_EQ(find_gpus(std::string("6,7")).ids, (std::vector<std::string>{"6", "7"}));
  EXPECT_EQ(find_gpus(std::string("6,7")).source, "--gpus");
  for (const char* name : {"CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "SLURM_JOB_GPUS"}) ::unsetenv(name);
}

TEST(Devices, ListsSplitAndJoin) {
  EXPECT_EQ(split_list("0,,1,"), (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(join_list(std::vector<std::string>{"0", "1"}), "0,1");
  EXPECT_EQ(join_list(std::vector<int>{3, 5}), "3,5");
  EXPECT_FALSE(allowed_cpus().empty());
}

}  // namespace taskfarm

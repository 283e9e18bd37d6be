#pragma once
// Counter-based random numbers: the value of task i depends only on (seed, i), so task
// lists are reproducible, independent of the rank count, and never stored.

#include <cstdint>
#include <random>

namespace taskfarm {

inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// The random numbers of one seed. The seed is mixed once, so drawing costs one
/// splitmix64 per number.
class RandomStream {
 public:
  explicit RandomStream(std::uint64_t seed) : mixed_seed_(splitmix64(seed)) {}
  std::uint64_t at(std::uint64_t index) const { return splitmix64(mixed_seed_ ^ index); }

 private:
  std::uint64_t mixed_seed_;
};

/// The index-th 64-bit random number of stream `seed`.
inline std::uint64_t random_at(std::uint64_t seed, std::uint64_t index) { return RandomStream(seed).at(index); }

/// Uniform in (0, 1): never exactly 0, so logs and inverse powers stay finite.
inline double uniform01_at(std::uint64_t seed, std::uint64_t index) {
  return (static_cast<double>(random_at(seed, index) >> 11) + 0.5) * 0x1.0p-53;
}

/// A seed for runs that did not give one.
inline std::uint64_t fresh_seed() { return (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}(); }

}  // namespace taskfarm

/* The oracle for examples/pi: the same hit count by a plain serial loop, sharing no code
 * with the example or the library. Usage: pi_reference TASKS SAMPLES SEED */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const uint64_t tasks = strtoull(argv[1], 0, 10), samples = strtoull(argv[2], 0, 10), seed = strtoull(argv[3], 0, 10);
  uint64_t hits = 0;
  for (uint64_t t = 0; t < tasks; ++t) {
    uint64_t s = mix(seed ^ mix(t));
    for (uint64_t i = 0; i < samples; ++i) {
      s = mix(s);
      const double x = (double)(s >> 11) / 9007199254740992.0;
      s = mix(s);
      const double y = (double)(s >> 11) / 9007199254740992.0;
      hits += x * x + y * y <= 1.0;
    }
  }
  printf("%llu\n", (unsigned long long)hits);
  return 0;
}

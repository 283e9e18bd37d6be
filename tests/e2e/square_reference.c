/* The oracle for the square job, written from the rule the README documents and sharing
 * no code with the program: task i of seed S is n = splitmix64(splitmix64(S) XOR i) mod
 * 10001, and its result line is "n * n = n*n". Prints the lines in task order.
 * Usage: square_reference TASKS SEED */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: square_reference TASKS SEED\n");
    return 2;
  }
  const uint64_t tasks = strtoull(argv[1], NULL, 10), mixed = splitmix64(strtoull(argv[2], NULL, 10));
  for (uint64_t i = 0; i < tasks; ++i) {
    const uint64_t n = splitmix64(mixed ^ i) % 10001;
    printf("%llu * %llu = %llu\n", (unsigned long long)n, (unsigned long long)n, (unsigned long long)(n * n));
  }
  return ferror(stdout) ? 1 : 0;
}

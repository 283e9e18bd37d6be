// N-Queens, counted by a farm whose tasks submit tasks: a task is a board with queens on
// its first rows. Above --split rows it submits one task per safe square of the next row;
// at --split it counts the board's solutions itself. A fold adds the counts.
//
//   mpirun -n 3 nqueens --n 13 --split 4     # prints 73712
#include <taskfarm/taskfarm.hpp>

#include <cstdint>
#include <cstdio>
#include <vector>

namespace {

/// Queens on the first `row` rows, as bit masks of the columns and diagonals they attack.
struct Board {
  std::uint32_t row;
  std::uint32_t columns;
  std::uint32_t left;   // diagonals going down-left, seen from the next row
  std::uint32_t right;  // diagonals going down-right
};

/// The board with a queen on the next row at column bit `bit`.
Board place(const Board& b, std::uint32_t bit) {
  return Board{b.row + 1, b.columns | bit, (b.left | bit) << 1, (b.right | bit) >> 1};
}

/// Solutions that complete `b` on an n-by-n board, by backtracking.
std::uint64_t count(const Board& b, std::uint32_t n) {
  if (b.row == n) return 1;
  const std::uint32_t all = (1u << n) - 1;
  std::uint64_t solutions = 0;
  for (std::uint32_t free = all & ~(b.columns | b.left | b.right); free != 0; free &= free - 1)
    solutions += count(place(b, free & -free), n);
  return solutions;
}

}  // namespace

int main(int argc, char** argv) {
  taskfarm::App app(argc, argv, "nqueens: the number of ways to place N non-attacking queens on an N-by-N board");
  std::uint32_t n = 12;
  std::uint32_t split = 4;
  app.option("--n", n, "board size (1 to 31)");
  app.option("--split", split, "rows placed by submitted tasks before a task counts the rest itself");
  if (n < 1 || n > 31) {
    if (app.rank() == 0) std::fprintf(stderr, "nqueens: --n must be between 1 and 31\n");
    return 2;
  }
  const std::vector<Board> root{Board{0, 0, 0, 0}};
  return app.run(
      root,
      [n, split](const Board& b, taskfarm::Task<Board>& task) -> std::uint64_t {
        if (b.row >= split || b.row == n) return count(b, n);
        const std::uint32_t all = (1u << n) - 1;
        for (std::uint32_t free = all & ~(b.columns | b.left | b.right); free != 0; free &= free - 1)
          task.submit(place(b, free & -free));
        return 0;
      },
      taskfarm::fold<std::uint64_t>(0, [](std::uint64_t a, std::uint64_t b) { return a + b; }));
}

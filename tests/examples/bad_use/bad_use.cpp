// Bad uses of the API, one per BAD_USE value, for tests/examples/examples_test.sh:
//   clash          a user option named like an engine option (--batch)
//   throw-int      a kernel that throws an int (not a std::exception) for task 3
//   farm-no-mpi    a Farm constructed before MPI_Init (the error is caught and printed)
#include <cstdio>
#include <cstdlib>
#include <string>

#include <taskfarm/taskfarm.hpp>

int main(int argc, char** argv) {
  const std::string mode = std::getenv("BAD_USE") ? std::getenv("BAD_USE") : "";
  if (mode == "farm-no-mpi") {
    try {
      taskfarm::Farm farm(MPI_COMM_WORLD);
    } catch (const taskfarm::UsageError& e) {
      std::fprintf(stderr, "caught: %s\n", e.what());
      return 2;
    }
    return 0;
  }
  taskfarm::App app(argc, argv, "bad_use: wrong on purpose");
  int batch = 0;
  if (mode == "clash") app.option("--batch", batch, "clashes with the engine's --batch");
  return app.run(taskfarm::range<int>(0, 6), [](int x) {
    if (x == 3) throw 42;
    return x;
  });
}

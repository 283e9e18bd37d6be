// Must not compile: a result type (a std::map) that has no taskfarm::codec. The build
// error must be the library's readable static_assert.
#include <map>

#include <taskfarm/taskfarm.hpp>

int main(int argc, char** argv) {
  taskfarm::Farm farm(MPI_COMM_WORLD);
  farm.map(taskfarm::range<int>(0, 3), [](int x) { return std::map<int, int>{{x, x}}; },
           [](const int&, const std::map<int, int>&) {});
  (void)argc;
  (void)argv;
}

#pragma once

namespace taskfarm {

/// The whole program: MPI start-up, command line, run, report, exit code.
int run_program(int argc, char** argv);

}  // namespace taskfarm

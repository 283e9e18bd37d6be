#include "api/app.hpp"

int main(int argc, char** argv) { return taskfarm::run_program(argc, argv); }

#pragma once
// Helpers for benchmarks that run on every rank in lockstep.

#include <benchmark/benchmark.h>

#include <boost/mpi/communicator.hpp>

namespace taskfarm::bench {

/// Benchmarks whose name starts with this run on every rank; the rest on rank 0 only.
inline constexpr const char* mpi_prefix = "MPI_";

/// A barrier that sleeps while it waits, so ranks parked here leave the cores to
/// whatever rank 0 is measuring.
void gentle_barrier(const boost::mpi::communicator& comm);

/// Reports `seconds` as this iteration's time: the maximum over ranks.
void set_iteration_time(benchmark::State& state, const boost::mpi::communicator& comm, double seconds);

}  // namespace taskfarm::bench

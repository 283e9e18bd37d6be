#pragma once
// Helpers for benchmarks that run on every rank in lockstep.

#include <benchmark/benchmark.h>

#include <boost/mpi/communicator.hpp>

namespace taskfarm::bench {

/// Every rank runs the same benchmarks (the same filter), so the MPI_* ones stay in
/// lockstep. The MPI-free ones call this first: off rank 0 they skip at once, leaving the
/// cores to rank 0's measurement.
bool skipped_off_master(benchmark::State& state);

/// A barrier that sleeps while it waits, so ranks parked here leave the cores to
/// whatever rank 0 is measuring.
void gentle_barrier(const boost::mpi::communicator& comm);

/// Reports `seconds` as this iteration's time: the maximum over ranks.
void set_iteration_time(benchmark::State& state, const boost::mpi::communicator& comm, double seconds);

}  // namespace taskfarm::bench

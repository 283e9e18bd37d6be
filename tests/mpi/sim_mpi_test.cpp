// The simulated workers of scripts/bench-scale against real ones: at 9 ranks (8 workers),
// the same square tasks in batches of a fixed size reach the master once through MPI
// workers and once through the simulation. Both runs must send the same batches and
// commit the same results: every task once, succeeded.

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include <boost/mpi/communicator.hpp>

#include "master/master.hpp"
#include "mpi/mpi_transport.hpp"
#include "mpi/worker_loop.hpp"
#include "core/sink.hpp"
#include "sim/simulated_transport.hpp"
#include "test_support.hpp"

namespace taskfarm {
namespace {

/// What passes through a transport: the batches the master sends (first ID, tasks) and
/// the results it receives (ID, status).
class Recording final : public Transport {
 public:
  explicit Recording(Transport& inner) : inner_(inner) {}
  std::vector<std::pair<std::uint64_t, std::uint32_t>> batches;
  std::vector<std::pair<std::uint64_t, int>> results;

  int workers() const override { return inner_.workers(); }
  int worker_rank(int w) const override { return inner_.worker_rank(w); }
  std::string take_buffer() override { return inner_.take_buffer(); }
  void send(int worker, Tag tag, std::string body) override {
    std::string_view message = body;
    while (tag == Tag::tasks && !message.empty()) {
      TaskBatchReader reader(*next_framed_batch(message));
      std::uint32_t tasks = 0;
      std::uint64_t first = 0;
      for (TaskSpan g{}; reader.next_span(g); tasks += g.count)
        if (tasks == 0) first = g.first_id;
      batches.emplace_back(first, tasks);
    }
    inner_.send(worker, tag, std::move(body));
  }
  std::optional<Envelope> poll(std::string& body, std::optional<int> from) override {
    auto envelope = inner_.poll(body, from);
    if (envelope && envelope->tag == Tag::results) {
      ResultBatchReader reader(body);
      for (ResultView r{}; reader.next(r);) results.emplace_back(r.id, static_cast<int>(r.status));
    }
    return envelope;
  }
  std::size_t progress_sends() override { return inner_.progress_sends(); }
  std::size_t unsent_bytes(int w) const override { return inner_.unsent_bytes(w); }
  std::uint64_t bytes_sent() const override { return inner_.bytes_sent(); }
  std::uint64_t messages() const override { return inner_.messages(); }

 private:
  Transport& inner_;
};

TEST(Simulation, SendsTheSameBatchesAndCommitsTheSameResultsAsRealWorkers) {
  boost::mpi::communicator comm(boost::mpi::communicator(), boost::mpi::comm_duplicate);
  ASSERT_EQ(comm.size(), 9) << "run at 9 ranks: 8 workers";
  const std::vector<std::string> args{"square", "--tasks", "20000", "--seed", "5", "--batch", "37"};
  CommandLine cl = testing::parse(args);
  Channel channel(comm);
  StringSink sink;
  if (comm.rank() != master_rank) {
    run_worker(channel, cl.job, cl.config, 0, comm.rank());
    return;
  }
  MpiTransport mpi(channel);
  Recording real(mpi);
  const RunReport real_report = run_master(real, cl.job, cl.job.source->open(), cl.config, RunPlan{}, sink);

  CommandLine again = testing::parse(args);  // a job's source opens once
  sim::SimulatedTransport simulated(sim::Settings{8, 2e-6, 0.2e-6, 0});
  Recording sim(simulated);
  StringSink discard;
  const RunReport sim_report = run_master(sim, again.job, again.job.source->open(), again.config, RunPlan{}, discard);

  EXPECT_EQ(real_report.status, RunStatus::complete);
  EXPECT_EQ(sim_report.status, RunStatus::complete);
  EXPECT_EQ(sim_report.tasks_done, 20000u);
  for (Recording* r : {&real, &sim}) {
    std::sort(r->batches.begin(), r->batches.end());
    std::sort(r->results.begin(), r->results.end());
  }
  EXPECT_EQ(real.batches.size(), (20000u + 36) / 37);
  EXPECT_EQ(real.batches, sim.batches);
  EXPECT_EQ(real.results, sim.results);
  std::vector<std::pair<std::uint64_t, int>> every;
  for (std::uint64_t id = 0; id < 20000; ++id) every.emplace_back(id, static_cast<int>(TaskStatus::ok));
  EXPECT_EQ(sim.results, every);
  EXPECT_EQ(testing::sorted_lines(sink.text), testing::expected_square_lines(20000, 5));
}

}  // namespace
}  // namespace taskfarm

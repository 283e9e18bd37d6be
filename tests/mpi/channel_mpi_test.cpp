// The Channel across real ranks (CTest runs this program at 3, 5 and 8 ranks: it needs a
// slow peer and a prompt one beside the sender).

#include <gtest/gtest.h>

#include <unistd.h>

#include <string>

#include <boost/mpi/communicator.hpp>

#include "core/clock.hpp"
#include "mpi/protocol.hpp"

namespace taskfarm {
namespace {

// A large send to a peer that is slow to receive: it holds no other send's buffer, and
// the channel's end frees no buffer under it (the peer still reads every byte intact,
// after the channel is gone).
TEST(Channel, ASendToASlowPeerHoldsNoOtherBufferAndOutlivesTheChannel) {
  boost::mpi::communicator world(boost::mpi::communicator(), boost::mpi::comm_duplicate);
  ASSERT_GE(world.size(), 3) << "needs a slow peer and a prompt one: register it at 3 ranks or more";
  const int slow = world.size() - 1;
  constexpr std::size_t large = 8 << 20, small = 100000, smalls = 20;
  {
    Channel channel(world);
    if (world.rank() == 0) {
      channel.send(slow, Tag::tasks, std::string(large, 'x'));
      for (std::size_t i = 0; i < smalls; ++i) channel.send(1, Tag::tasks, std::string(small, 'y'));
      const auto deadline = clock::now() + seconds(20);
      while (channel.progress_sends() > 1 && clock::now() < deadline) usleep(1000);
      EXPECT_EQ(channel.progress_sends(), 1u) << "the sends rank 1 received are still held";
    } else if (world.rank() == 1) {
      std::string body;
      for (std::size_t got = 0; got < smalls;)
        if (channel.poll(body, 0)) {
          EXPECT_EQ(body, std::string(small, 'y')) << got;
          ++got;
        }
    }
  }
  if (world.rank() == slow) {  // after the sender's channel has ended, which waits 1 s at most
    usleep(2500000);
    Channel channel(world);
    std::string body;
    while (!channel.poll(body, 0)) usleep(1000);
    EXPECT_EQ(body.size(), large);
    EXPECT_EQ(body.find_first_not_of('x'), std::string::npos);
  } else {
    Channel channel(world);  // the constructor is collective over the communicator
  }
  world.barrier();
}

}  // namespace
}  // namespace taskfarm

// The per-thread upstream pool: most recent first, bounded, and idle connections expire.
#include "proxy/upstream_pool.h"

#include <gtest/gtest.h>

namespace prevu::proxy {
namespace {

using tcp = asio::ip::tcp;
using std::chrono::seconds;

class UpstreamPoolTest : public ::testing::Test {
 protected:
  // An open (unconnected) socket, told apart by its descriptor.
  tcp::socket Socket() {
    tcp::socket socket(io_);
    socket.open(tcp::v4());
    return socket;
  }

  asio::io_context io_;
  Endpoint a_ = *ParseHostPort("127.0.0.1:1");
  Endpoint b_ = *ParseHostPort("127.0.0.1:2");
  UpstreamPool::TimePoint t0_ = UpstreamPool::TimePoint() + seconds(1000);
};

TEST_F(UpstreamPoolTest, GivesBackTheMostRecentConnectionForThatUpstream) {
  UpstreamPool pool(4, seconds(30));
  tcp::socket first = Socket();
  tcp::socket second = Socket();
  int second_fd = second.native_handle();
  pool.Put(a_, t0_, std::move(first));
  pool.Put(a_, t0_, std::move(second));

  tcp::socket taken(io_);
  ASSERT_TRUE(pool.Take(a_, t0_, &taken));
  EXPECT_EQ(taken.native_handle(), second_fd);
  EXPECT_FALSE(pool.Take(b_, t0_, &taken));
  EXPECT_EQ(pool.idle(a_), 1u);
}

TEST_F(UpstreamPoolTest, DropsTheOldestBeyondTheLimit) {
  UpstreamPool pool(2, seconds(30));
  for (int i = 0; i < 5; ++i) {
    pool.Put(a_, t0_, Socket());
  }

  EXPECT_EQ(pool.idle(a_), 2u);
}

TEST_F(UpstreamPoolTest, ExpiredConnectionsAreNotReturned) {
  UpstreamPool pool(4, seconds(30));
  pool.Put(a_, t0_, Socket());
  tcp::socket taken(io_);

  EXPECT_FALSE(pool.Take(a_, t0_ + seconds(31), &taken));
  EXPECT_EQ(pool.idle(a_), 0u);
}

TEST_F(UpstreamPoolTest, ExpireClosesOldConnectionsOfEveryUpstream) {
  UpstreamPool pool(4, seconds(30));
  pool.Put(a_, t0_, Socket());
  pool.Put(b_, t0_, Socket());
  pool.Put(b_, t0_ + seconds(20), Socket());

  pool.Expire(t0_ + seconds(31));

  EXPECT_EQ(pool.idle(a_), 0u);
  EXPECT_EQ(pool.idle(b_), 1u);
}

TEST_F(UpstreamPoolTest, ZeroLimitKeepsNothing) {
  UpstreamPool pool(0, seconds(30));
  pool.Put(a_, t0_, Socket());

  EXPECT_EQ(pool.idle(a_), 0u);
}

}  // namespace
}  // namespace prevu::proxy

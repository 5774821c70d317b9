// Login attempts per client address: the allowance, the wait it announces, the bounded table.
#include "proxy/auth/login_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace prevu::proxy {
namespace {

TEST(LoginLimiterTest, AllowsTheAttemptsOfAWindowThenAnnouncesTheWait) {
  base::FakeClock clock;
  LoginLimiter limiter(10, absl::Minutes(1), 100, &clock);
  int64_t retry_after = 0;

  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(limiter.Allow("10.0.0.1", &retry_after)) << i;
  }
  EXPECT_FALSE(limiter.Allow("10.0.0.1", &retry_after));
  EXPECT_EQ(retry_after, 60);

  clock.Advance(absl::Milliseconds(30500));
  EXPECT_FALSE(limiter.Allow("10.0.0.1", &retry_after));
  EXPECT_EQ(retry_after, 30);  // rounded up

  clock.Advance(absl::Milliseconds(29500));
  EXPECT_TRUE(limiter.Allow("10.0.0.1", &retry_after));
}

TEST(LoginLimiterTest, AddressesHaveTheirOwnAllowance) {
  base::FakeClock clock;
  LoginLimiter limiter(2, absl::Minutes(1), 100, &clock);
  int64_t retry_after = 0;

  EXPECT_TRUE(limiter.Allow("10.0.0.1", &retry_after));
  EXPECT_TRUE(limiter.Allow("10.0.0.1", &retry_after));
  EXPECT_FALSE(limiter.Allow("10.0.0.1", &retry_after));
  EXPECT_TRUE(limiter.Allow("fd00::1", &retry_after));
}

TEST(LoginLimiterTest, TheTableStaysWithinItsBound) {
  base::FakeClock clock;
  LoginLimiter limiter(1, absl::Minutes(1), 3, &clock);
  int64_t retry_after = 0;

  for (int i = 0; i < 50; ++i) {
    limiter.Allow("10.0.0." + std::to_string(i), &retry_after);
    clock.Advance(absl::Milliseconds(10));
  }
  EXPECT_EQ(limiter.size(), 3u);
  // The most recent addresses are still held back.
  EXPECT_FALSE(limiter.Allow("10.0.0.49", &retry_after));

  // Windows that ended are dropped first.
  clock.Advance(absl::Minutes(2));
  EXPECT_TRUE(limiter.Allow("10.0.0.200", &retry_after));
  EXPECT_EQ(limiter.size(), 1u);
}

TEST(LoginLimiterTest, ConcurrentAttemptsAreCountedExactly) {
  base::FakeClock clock;
  LoginLimiter limiter(100, absl::Minutes(1), 10, &clock);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      int64_t retry_after = 0;
      for (int i = 0; i < 100; ++i) {
        allowed += limiter.Allow("10.0.0.1", &retry_after) ? 1 : 0;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(allowed.load(), 100);
}

}  // namespace
}  // namespace prevu::proxy

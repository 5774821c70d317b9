// Tests of the worker pool: every task runs, never more at once than the pool has threads.
#include "reconciler/worker_pool.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace prevu::reconciler {
namespace {

TEST(WorkerPoolTest, RunsEveryTaskWithAtMostItsThreadsAtOnce) {
  WorkerPool pool(2);
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  absl::BlockingCounter done(20);

  for (int i = 0; i < 20; ++i) {
    pool.Post([&] {
      int now = ++running;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      --running;
      done.DecrementCount();
    });
  }
  done.Wait();

  EXPECT_EQ(most.load(), 2);
}

TEST(WorkerPoolTest, DestructorWaitsForTheRunningTask) {
  std::atomic<bool> finished{false};
  absl::Notification started;
  {
    WorkerPool pool(1);
    pool.Post([&] {
      started.Notify();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      finished = true;
    });
    started.WaitForNotification();
    EXPECT_EQ(pool.pending(), 1u);
  }

  EXPECT_TRUE(finished.load());
}

}  // namespace
}  // namespace prevu::reconciler

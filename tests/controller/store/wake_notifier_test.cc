#include "controller/store/wake_notifier.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace prevu::controller::store {
namespace {

TEST(WakeNotifierTest, EveryNotifyIsFollowedByACall) {
  WakeNotifier notifier;
  absl::Mutex mu;
  int calls = 0;
  notifier.Subscribe([&] {
    absl::MutexLock lock(&mu);
    ++calls;
  });

  for (int i = 0; i < 3; ++i) {
    int before;
    {
      absl::MutexLock lock(&mu);
      before = calls;
    }
    notifier.Notify();
    absl::MutexLock lock(&mu);
    auto called_again = [&] { return calls > before; };
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&called_again), absl::Seconds(30)));
  }
}

TEST(WakeNotifierTest, UnsubscribeWaitsForARunningCallback) {
  WakeNotifier notifier;
  absl::Notification entered;
  absl::Notification release;
  std::atomic<bool> finished = false;
  uint64_t id = notifier.Subscribe([&] {
    entered.Notify();
    release.WaitForNotification();
    finished = true;
  });
  notifier.Notify();
  entered.WaitForNotification();

  std::thread releaser([&] {
    absl::SleepFor(absl::Milliseconds(20));
    release.Notify();
  });
  notifier.Unsubscribe(id);

  // Had Unsubscribe not waited, the callback could still be running here.
  EXPECT_TRUE(finished);
  releaser.join();
}

TEST(WakeNotifierTest, ACallbackMayUnsubscribeItself) {
  WakeNotifier notifier;
  absl::Notification done;
  uint64_t id = 0;
  absl::Mutex mu;
  {
    absl::MutexLock lock(&mu);
    id = notifier.Subscribe([&] {
      absl::MutexLock lock(&mu);
      notifier.Unsubscribe(id);
      done.Notify();
    });
  }

  notifier.Notify();

  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
}

}  // namespace
}  // namespace prevu::controller::store

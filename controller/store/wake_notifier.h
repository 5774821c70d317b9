// Wakes the desired store's subscribers from a thread of its own, so that a slow subscriber can
// delay other subscribers but never a writer. Wake-ups coalesce: many changes in quick succession
// may produce one call, but every change is followed by at least one call that starts after it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace prevu::controller::store {

class WakeNotifier {
 public:
  WakeNotifier();
  // Joins the thread; a round of calls in progress finishes first.
  ~WakeNotifier();
  WakeNotifier(const WakeNotifier&) = delete;
  WakeNotifier& operator=(const WakeNotifier&) = delete;

  // Thread-safe. `wake` is called on the notifier's thread, never concurrently with itself.
  uint64_t Subscribe(std::function<void()> wake);

  // Thread-safe. When it returns, the callback is not running and will not be called again,
  // except when called from inside a callback, where it cannot wait for the round to end.
  void Unsubscribe(uint64_t id);

  // Requests a round of calls. Takes a short lock and never waits for the callbacks.
  void Notify();

 private:
  using Callback = std::shared_ptr<const std::function<void()>>;

  void Run();

  absl::Mutex mu_;
  std::map<uint64_t, Callback> subscribers_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool pending_ ABSL_GUARDED_BY(mu_) = false;
  bool calling_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts after everything it uses is built
};

}  // namespace prevu::controller::store

// The subscriber wake-up thread; see wake_notifier.h.
#include "controller/store/wake_notifier.h"

#include <vector>

namespace prevu::controller::store {

WakeNotifier::WakeNotifier() : thread_([this] { Run(); }) {}

WakeNotifier::~WakeNotifier() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

uint64_t WakeNotifier::Subscribe(std::function<void()> wake) {
  absl::MutexLock lock(&mu_);
  uint64_t id = next_id_++;
  subscribers_[id] = std::make_shared<const std::function<void()>>(std::move(wake));
  return id;
}

void WakeNotifier::Unsubscribe(uint64_t id) {
  absl::MutexLock lock(&mu_);
  subscribers_.erase(id);

  // A later round no longer sees the callback; only the current one may still be calling it.
  if (std::this_thread::get_id() != thread_.get_id()) {
    mu_.Await(absl::Condition(
        +[](bool* calling) { return !*calling; }, &calling_));
  }
}

void WakeNotifier::Notify() {
  absl::MutexLock lock(&mu_);
  // With nobody to call, waking the thread would only cost the writer a context switch.
  if (!subscribers_.empty()) {
    pending_ = true;
  }
}

void WakeNotifier::Run() {
  absl::MutexLock lock(&mu_);
  while (true) {
    mu_.Await(absl::Condition(
        +[](WakeNotifier* self)
             ABSL_NO_THREAD_SAFETY_ANALYSIS { return self->pending_ || self->stopping_; },
        this));
    if (stopping_) {
      return;
    }

    // Call outside the lock, so that Notify() and Subscribe() never wait for a callback.
    pending_ = false;
    calling_ = true;
    std::vector<Callback> round;
    for (const auto& [id, callback] : subscribers_) {
      round.push_back(callback);
    }
    mu_.Unlock();
    for (const Callback& callback : round) {
      (*callback)();
    }
    mu_.Lock();
    calling_ = false;
  }
}

}  // namespace prevu::controller::store

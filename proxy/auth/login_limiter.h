// Holds password guessing back: each client address may try to sign in a few times per window,
// then is answered 429 until the window ends. The table of addresses is bounded, so a flood of
// addresses costs fixed memory. Shared by every proxy thread behind one mutex: login attempts are
// rare, and a per-thread table would multiply the allowance by the number of threads.
#pragma once

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/base/clock.h"

namespace prevu::proxy {

class LoginLimiter {
 public:
  // `attempts` per `window` per address; at most `max_addresses` remembered. `clock` must outlive
  // the limiter.
  LoginLimiter(int attempts, absl::Duration window, size_t max_addresses, const base::Clock* clock);

  // Counts one attempt from `address` and returns true when it is within the allowance.
  // Otherwise returns false and sets `*retry_after` to the whole seconds (at least 1) until the
  // address may try again. Thread-safe.
  bool Allow(absl::string_view address, int64_t* retry_after);

  size_t size() const;

 private:
  struct Window {
    absl::Time start;
    int attempts = 0;
  };

  // Makes room for one more address: drops the windows that have ended, or else the oldest.
  void Evict(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int attempts_;
  const absl::Duration window_;
  const size_t max_addresses_;
  const base::Clock* clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Window> windows_ ABSL_GUARDED_BY(mu_);
};

}  // namespace prevu::proxy

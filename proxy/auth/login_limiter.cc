// Login attempts per client address; see login_limiter.h.
#include "proxy/auth/login_limiter.h"

#include <algorithm>
#include <cmath>

namespace prevu::proxy {

LoginLimiter::LoginLimiter(int attempts, absl::Duration window, size_t max_addresses,
                           const base::Clock* clock)
    : attempts_(std::max(attempts, 1)),
      window_(window),
      max_addresses_(std::max<size_t>(max_addresses, 1)),
      clock_(clock) {}

bool LoginLimiter::Allow(absl::string_view address, int64_t* retry_after) {
  absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = windows_.find(address);
  if (it == windows_.end()) {
    if (windows_.size() >= max_addresses_) {
      Evict(now);
    }
    it = windows_.emplace(std::string(address), Window{now, 0}).first;
  }

  Window& window = it->second;
  if (now - window.start >= window_) {
    window = Window{now, 0};
  }
  if (window.attempts >= attempts_) {
    double seconds = absl::ToDoubleSeconds(window.start + window_ - now);
    *retry_after = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(seconds)));
    return false;
  }
  ++window.attempts;
  return true;
}

size_t LoginLimiter::size() const {
  absl::MutexLock lock(&mu_);
  return windows_.size();
}

void LoginLimiter::Evict(absl::Time now) {
  absl::erase_if(windows_, [&](const auto& entry) { return now - entry.second.start >= window_; });
  if (windows_.size() < max_addresses_) {
    return;
  }
  auto oldest = std::min_element(
      windows_.begin(), windows_.end(),
      [](const auto& a, const auto& b) { return a.second.start < b.second.start; });
  windows_.erase(oldest);
}

}  // namespace prevu::proxy

// Per-thread upstream keep-alive pools; see upstream_pool.h.
#include "proxy/upstream_pool.h"

#include <algorithm>

namespace prevu::proxy {

UpstreamPool::UpstreamPool(int max_idle_per_upstream, std::chrono::nanoseconds idle_timeout)
    : max_idle_(static_cast<size_t>(std::max(max_idle_per_upstream, 0))),
      idle_timeout_(idle_timeout) {}

bool UpstreamPool::Take(const Endpoint& upstream, TimePoint now, asio::ip::tcp::socket* socket) {
  auto it = idle_.find(upstream);
  if (it == idle_.end() || it->second.empty()) {
    return false;
  }

  // The newest is at the back; when even it is too old, so are all the others.
  std::vector<Idle>& idle = it->second;
  if (now - idle.back().since > idle_timeout_) {
    idle.clear();
    return false;
  }
  *socket = std::move(idle.back().socket);
  idle.pop_back();
  return true;
}

void UpstreamPool::Put(const Endpoint& upstream, TimePoint now, asio::ip::tcp::socket socket) {
  if (max_idle_ == 0) {
    return;
  }
  std::vector<Idle>& idle = idle_[upstream];
  if (idle.size() >= max_idle_) {
    idle.erase(idle.begin());
  }
  idle.push_back(Idle{std::move(socket), now});
}

void UpstreamPool::Expire(TimePoint now) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    std::vector<Idle>& idle = it->second;
    idle.erase(std::remove_if(idle.begin(), idle.end(),
                              [&](const Idle& entry) { return now - entry.since > idle_timeout_; }),
               idle.end());
    if (idle.empty()) {
      idle_.erase(it++);
    } else {
      ++it;
    }
  }
}

void UpstreamPool::Clear() { idle_.clear(); }

size_t UpstreamPool::idle(const Endpoint& upstream) const {
  auto it = idle_.find(upstream);
  return it == idle_.end() ? 0 : it->second.size();
}

}  // namespace prevu::proxy

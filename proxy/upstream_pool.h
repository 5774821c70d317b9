// One proxy thread's idle keep-alive connections to upstreams, by upstream address. Owned and
// used by that thread alone, so taking and returning a connection takes no lock.
#pragma once

#include <chrono>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "controller/base/asio.h"
#include "proxy/endpoint.h"

namespace prevu::proxy {

class UpstreamPool {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Keeps at most `max_idle_per_upstream` idle connections per upstream, each for at most
  // `idle_timeout` (measured with the `now` the caller passes, so tests control time).
  UpstreamPool(int max_idle_per_upstream, std::chrono::nanoseconds idle_timeout);

  // Moves the most recently returned idle connection to `upstream` into `*socket` and returns
  // true; returns false when there is none that is young enough (the old ones are closed).
  bool Take(const Endpoint& upstream, TimePoint now, asio::ip::tcp::socket* socket);

  // Returns a connection whose last exchange ended cleanly. When the upstream already has the
  // maximum number idle, the oldest is closed.
  void Put(const Endpoint& upstream, TimePoint now, asio::ip::tcp::socket socket);

  // Closes the connections that have been idle longer than the idle timeout, for every
  // upstream: those of a preview that is gone would otherwise stay open. Called periodically.
  void Expire(TimePoint now);

  // Closes every idle connection (at drain).
  void Clear();

  size_t idle(const Endpoint& upstream) const;

 private:
  struct Idle {
    asio::ip::tcp::socket socket;
    TimePoint since;
  };

  size_t max_idle_;
  std::chrono::nanoseconds idle_timeout_;
  absl::flat_hash_map<Endpoint, std::vector<Idle>> idle_;
};

}  // namespace prevu::proxy

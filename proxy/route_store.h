// The published route table and its per-thread readers. Publishing swaps a new snapshot in whole
// under a mutex and bumps a version; each proxy thread keeps its own copy of the snapshot and
// looks at the version once per request, so a lookup takes no lock and touches no shared line
// that is written, except in the instant after a publish. (libstdc++'s
// std::atomic<std::shared_ptr> takes a spin lock on every load, which this avoids.)
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "proxy/route_publisher.h"
#include "proxy/route_table.h"

namespace prevu::proxy {

class RouteStore : public RoutePublisher {
 public:
  RouteStore();

  // Builds a new snapshot from `routes` (resolving upstream names on this thread) and makes it
  // current. Thread-safe. Requests in flight finish on the snapshot they started with.
  void Publish(std::vector<Route> routes) override;

  // The current snapshot and its version, read together under the mutex. Thread-safe.
  std::shared_ptr<const RouteTable> Current(uint64_t* version) const;

  // Increases on every publish; read once per request by every RouteReader.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const RouteTable> table_ ABSL_GUARDED_BY(mu_);
  alignas(64) std::atomic<uint64_t> version_{0};
};

// One thread's view of a RouteStore. Not thread-safe: each proxy thread owns one.
class RouteReader {
 public:
  explicit RouteReader(const RouteStore* store) : store_(store) {}

  // The latest snapshot: refreshed, under the store's mutex, only when the version moved.
  const RouteTable& Get() {
    if (store_->version() != version_) {
      table_ = store_->Current(&version_);
    }
    return *table_;
  }

 private:
  const RouteStore* store_;
  uint64_t version_ = ~uint64_t{0};
  std::shared_ptr<const RouteTable> table_;
};

}  // namespace prevu::proxy

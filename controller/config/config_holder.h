// The host configuration in force, swapped in whole when SIGHUP reloads the file. Readers take a
// reference-counted snapshot per request, so a reload never changes a value under a request in
// progress.
#pragma once

#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "controller/config/host_config.h"

namespace prevu::controller {

class ConfigHolder {
 public:
  explicit ConfigHolder(HostConfig initial)
      : current_(std::make_shared<const HostConfig>(std::move(initial))) {}

  // The configuration in force. Thread-safe; the snapshot stays valid while it is held.
  std::shared_ptr<const HostConfig> Get() const {
    absl::MutexLock lock(&mu_);
    return current_;
  }

  // Makes `next` the configuration in force. Thread-safe.
  void Set(HostConfig next) {
    auto snapshot = std::make_shared<const HostConfig>(std::move(next));
    absl::MutexLock lock(&mu_);
    current_ = std::move(snapshot);
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const HostConfig> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace prevu::controller

// The readiness check of a preview: one HTTP GET of `run.health_path` on the container's
// published port. An interface so that unit tests of the loop can answer without a server.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace prevu::reconciler {

class HealthProbe {
 public:
  virtual ~HealthProbe() = default;

  // Sends one GET of `path` to host:port and waits at most `timeout` for the response head.
  // OK for a 2xx or 3xx answer; Unavailable when nothing answers or the answer is another
  // status, with a message saying which. Thread-safe; blocks the calling thread.
  virtual absl::Status Probe(const std::string& host, uint16_t port, const std::string& path,
                             absl::Duration timeout) = 0;
};

// The real probe, a small Boost.Beast client.
class HttpHealthProbe : public HealthProbe {
 public:
  absl::Status Probe(const std::string& host, uint16_t port, const std::string& path,
                     absl::Duration timeout) override;
};

}  // namespace prevu::reconciler

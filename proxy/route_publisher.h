// The proxy's one inward border: whoever decides where host names go (the reconciler, or the
// command line in standalone mode) publishes the whole set of routes at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace prevu::proxy {

// One host name and where its requests go.
struct Route {
  std::string host;  // lower case, no port: "pr-12-shop.preview.example.com"
  // False while the preview is being built: the proxy answers 503 with a page that refreshes.
  bool ready = false;
  std::string upstream_host;  // an IP address or name to connect to, when ready
  uint16_t upstream_port = 0;
  int64_t max_body_bytes = 0;  // 0 = the proxy's default limit
};

class RoutePublisher {
 public:
  virtual ~RoutePublisher() = default;

  // Replaces every route at once. Thread-safe; requests in flight finish on the table they
  // started with. Duplicate hosts: the first one wins.
  virtual void Publish(std::vector<Route> routes) = 0;
};

}  // namespace prevu::proxy

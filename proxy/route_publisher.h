// The proxy's one inward border: whoever decides where host names go (the reconciler, or the
// command line in standalone mode) publishes the whole set of routes at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace prevu::proxy {

// Who may reach a route's host: the proxy's configured default, or a mode chosen for this route
// (a repository's `auth_mode`). The modes are described with AuthSettings (proxy/auth/).
enum class RouteAuth {
  kDefault,      // the proxy's default mode (AuthSettings::mode)
  kNone,         // anyone who knows the URL
  kPassword,     // a shared password, then a signed session cookie
  kForward,      // an external service asked about every request
  kBypassToken,  // only requests that carry the bypass token
};

// One host name and where its requests go.
struct Route {
  std::string host;  // lower case, no port: "pr-12-shop.preview.example.com"
  // False while the preview is being built: the proxy answers 503 with a page that refreshes.
  bool ready = false;
  std::string upstream_host;  // an IP address or name to connect to, when ready
  uint16_t upstream_port = 0;
  int64_t max_body_bytes = 0;  // 0 = the proxy's default limit
  RouteAuth auth = RouteAuth::kDefault;
};

class RoutePublisher {
 public:
  virtual ~RoutePublisher() = default;

  // Replaces every route at once. Thread-safe; requests in flight finish on the table they
  // started with. Duplicate hosts: the first one wins.
  virtual void Publish(std::vector<Route> routes) = 0;
};

}  // namespace prevu::proxy

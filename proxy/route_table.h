// An immutable snapshot of every route, built once per publish and then only read. A lookup
// folds case and drops the port into a stack buffer and costs one hash probe, whatever the size.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "proxy/endpoint.h"
#include "proxy/route_publisher.h"

namespace prevu::proxy {

// What the proxy needs at request time: the route, its upstream already resolved.
struct RouteEntry {
  Route route;
  Endpoint upstream;
  bool resolved = false;  // false when the upstream host did not resolve: requests get 502
};

class RouteTable {
 public:
  RouteTable() = default;

  // Builds a snapshot. Host names are folded to lower case and stripped of any port; the first
  // of duplicate hosts wins. Upstream names are resolved here, once, on the caller's thread.
  static std::shared_ptr<const RouteTable> Build(std::vector<Route> routes);

  // Finds the route for a Host header value ("Shop.Example.com:8080" finds "shop.example.com").
  // Returns null for an unknown host. Allocates nothing; safe from any thread.
  const RouteEntry* Lookup(absl::string_view host_header) const;

  size_t size() const { return routes_.size(); }

 private:
  absl::flat_hash_map<std::string, RouteEntry> routes_;
};

// Host header value → the lower-case name without port, written into `buffer` (of `capacity`
// bytes). Returns an empty view when the name is longer than `capacity`.
absl::string_view NormalizeHost(absl::string_view host_header, char* buffer, size_t capacity);

}  // namespace prevu::proxy

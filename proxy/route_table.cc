// The route snapshot; see route_table.h.
#include "proxy/route_table.h"

#include "absl/strings/ascii.h"
#include "controller/base/log.h"

namespace prevu::proxy {
namespace {

// DNS names are at most 253 characters (RFC 1035 §2.3.4); a little more room for a port.
constexpr size_t kMaxHostBytes = 256;

}  // namespace

absl::string_view NormalizeHost(absl::string_view host_header, char* buffer, size_t capacity) {
  absl::string_view host = host_header;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    host = close == absl::string_view::npos ? host : host.substr(0, close + 1);
  } else {
    size_t colon = host.find(':');
    host = host.substr(0, colon);
  }

  // "example.com." names the same host as "example.com" (RFC 1034 §3.1).
  if (host.size() > 1 && host.back() == '.') {
    host.remove_suffix(1);
  }
  if (host.size() > capacity) {
    return absl::string_view();
  }
  for (size_t i = 0; i < host.size(); ++i) {
    buffer[i] = absl::ascii_tolower(static_cast<unsigned char>(host[i]));
  }
  return absl::string_view(buffer, host.size());
}

std::shared_ptr<const RouteTable> RouteTable::Build(std::vector<Route> routes) {
  auto table = std::make_shared<RouteTable>();
  table->routes_.reserve(routes.size());
  for (Route& route : routes) {
    char buffer[kMaxHostBytes];
    absl::string_view host = NormalizeHost(route.host, buffer, sizeof(buffer));
    if (host.empty()) {
      log::Warn("route skipped: host name empty or too long").With("host", route.host);
      continue;
    }

    RouteEntry entry;
    if (route.ready) {
      absl::StatusOr<Endpoint> upstream = ResolveEndpoint(route.upstream_host, route.upstream_port);
      if (upstream.ok()) {
        entry.upstream = *upstream;
        entry.resolved = true;
      } else {
        log::Warn("route upstream does not resolve")
            .With("host", host)
            .With("error", upstream.status().message());
      }
    }
    route.host = std::string(host);
    entry.route = std::move(route);
    table->routes_.try_emplace(entry.route.host, std::move(entry));
  }
  return table;
}

const RouteEntry* RouteTable::Lookup(absl::string_view host_header) const {
  char buffer[kMaxHostBytes];
  absl::string_view host = NormalizeHost(host_header, buffer, sizeof(buffer));
  if (host.empty()) {
    return nullptr;
  }
  auto it = routes_.find(host);
  return it == routes_.end() ? nullptr : &it->second;
}

}  // namespace prevu::proxy

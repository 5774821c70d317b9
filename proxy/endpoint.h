// An upstream's or a peer's IP address and port in a small fixed-size form that hashes cheaply,
// so the per-thread upstream pools and the trusted-peer check allocate nothing per request.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proxy/proxy_config.h"

namespace prevu::proxy {

struct Endpoint {
  std::array<uint8_t, 16> address{};  // IPv4 addresses are stored IPv4-mapped (::ffff:a.b.c.d)
  uint16_t port = 0;

  bool is_v4() const;

  // "10.0.0.7:8080" or "[fd00::7]:8080".
  std::string ToString() const;
  // "10.0.0.7" or "fd00::7", as X-Forwarded-For writes it.
  std::string AddressString() const;

  friend bool operator==(const Endpoint& a, const Endpoint& b) {
    return a.port == b.port && a.address == b.address;
  }
  template <typename H>
  friend H AbslHashValue(H h, const Endpoint& e) {
    return H::combine(std::move(h), e.address, e.port);
  }
};

// Resolves `host` (an IP address, or a name looked up once with getaddrinfo) and `port`.
// Blocks on a name; returns NotFound with the name when it does not resolve.
absl::StatusOr<Endpoint> ResolveEndpoint(absl::string_view host, uint16_t port);

// Parses "HOST:PORT" or "[IPV6]:PORT" (the command line's form) and resolves it.
absl::StatusOr<Endpoint> ParseHostPort(absl::string_view text);

// Parses "10.0.0.0/8", "fd00::/8" or a single address (a /32 or /128).
absl::StatusOr<TrustedNetwork> ParseTrustedNetwork(absl::string_view text);

// True when `address` lies in one of `networks`.
bool IsTrusted(const std::array<uint8_t, 16>& address, const std::vector<TrustedNetwork>& networks);

}  // namespace prevu::proxy

// The proxy's settings: where it listens, how many threads it runs, and every limit and timeout
// on the request path. Parsed and validated once, then read-only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "proxy/auth/auth_settings.h"

namespace prevu::proxy {

// A network, such as 10.0.0.0/8 or fd00::/8, whose peers may extend the X-Forwarded-* chain.
struct TrustedNetwork {
  std::array<uint8_t, 16> address{};  // IPv4 networks are stored as IPv4-mapped IPv6
  int prefix_bits = 0;                // counted on the 128-bit form
};

// Where the TLS listener accepts connections.
struct TlsListen {
  std::string host = "0.0.0.0";
  uint16_t port = 8443;  // 0 = any free port (tests)
  // The port clients reach the listener on, for the redirects from the plain port, when it is
  // not `port` (a NAT or a container's published port in between); 0 = the bound port.
  uint16_t public_port = 0;
};

// Defaults and the reasons for them (the README copies this list):
//
// - max_header_bytes 16 KiB: twice nginx's 8 KiB line buffer, so large cookies pass, yet no
//   client makes the proxy hold megabytes per connection. An upstream's response head has the
//   same limit (larger is a 502).
// - max_header_fields 100: browsers send about 20; more is abuse.
// - max_body_bytes 100 MiB: uploads to previews pass, a runaway client is stopped. A route may
//   raise or lower it (Route.max_body_bytes).
// - header_timeout 10 s: the whole head must arrive within it from its first byte, so clients
//   that send a byte at a time cannot hold a connection slot. A TLS handshake has the same
//   deadline, from the connection's accept.
// - idle_timeout 60 s: keep-alive between requests; browsers keep connections about as long.
// - body_timeout 60 s: the longest wait for the next body byte, either way.
// - upstream_connect_timeout 5 s: a container that does not accept within 5 s is not up.
// - upstream_response_timeout 60 s: the longest wait for a response head; development servers
//   that compile on their first request need tens of seconds.
// - tunnel_idle_timeout 600 s: WebSocket hot-reload channels stay quiet for minutes.
// - max_connections 10000 per process: beyond it new connections wait in the kernel's accept
//   queue while the open ones keep working.
// - upstream_idle_per_host 64 per thread and upstream: enough for bursts, and bounded.
// - upstream_idle_timeout 30 s: below the 60 s keep-alive of most application servers, so the
//   proxy drops a pooled connection before the application does.
// - drain_timeout 10 s: how long requests in flight may finish after SIGTERM.
// - retry_after_seconds 5: how soon the "being built" page reloads itself.
struct ProxyConfig {
  std::string listen_host = "0.0.0.0";
  uint16_t listen_port = 8080;  // 0 = any free port (tests)
  int threads = 0;              // 0 = one per core
  // Every thread also accepts TLS connections here when set; their requests take the same path
  // as plain ones, with X-Forwarded-Proto https. Plain requests for a host that has a
  // certificate are then redirected to it (308).
  std::optional<TlsListen> tls_listen;

  size_t max_header_bytes = 16 * 1024;
  int max_header_fields = 100;
  int64_t max_body_bytes = 100ll * 1024 * 1024;

  absl::Duration header_timeout = absl::Seconds(10);
  absl::Duration idle_timeout = absl::Seconds(60);
  absl::Duration body_timeout = absl::Seconds(60);
  absl::Duration upstream_connect_timeout = absl::Seconds(5);
  absl::Duration upstream_response_timeout = absl::Seconds(60);
  absl::Duration tunnel_idle_timeout = absl::Seconds(600);
  absl::Duration drain_timeout = absl::Seconds(10);

  int max_connections = 10000;
  int upstream_idle_per_host = 64;
  absl::Duration upstream_idle_timeout = absl::Seconds(30);
  int retry_after_seconds = 5;

  // Adds "X-Robots-Tag: noindex" to proxied responses that carry none, and to the proxy's own
  // pages, so that search engines do not index previews ([proxy] noindex in prevu.toml).
  bool noindex = false;
  std::vector<TrustedNetwork> trusted_peers;

  // Access control in front of preview hosts ([auth] in prevu.toml): the default mode, what each
  // mode needs and the cookie key. The default protects nothing.
  AuthSettings auth;
};

}  // namespace prevu::proxy

// Builds the heads that leave the proxy: the request to the upstream and the response to the
// client. It drops hop-by-hop fields both ways (RFC 9110 §7.6.1) and sets X-Forwarded-For,
// X-Forwarded-Proto, X-Forwarded-Host, Forwarded (RFC 7239) and X-Request-Id.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "proxy/http_head.h"
#include "proxy/proxy_config.h"

namespace prevu::proxy {

// Who sent a request, as the forwarding headers describe it.
struct Peer {
  absl::string_view address;  // "10.0.0.7" or "fd00::7"
  bool v6 = false;
  bool trusted = false;  // in ProxyConfig::trusted_peers: its X-Forwarded-* chain is extended
  absl::string_view scheme = "http";  // "https" on the TLS listener
};

// How the response body travels to the client.
enum class ResponseBody {
  kNone,        // HEAD, 1xx, 204, 304
  kLength,      // Content-Length bytes
  kChunked,     // chunked, relayed as it comes
  kDechunked,   // chunked from the upstream, decoded for an HTTP/1.0 client, ends at close
  kUntilClose,  // until the upstream closes; the client connection closes after it
};

class HeaderRewriter {
 public:
  explicit HeaderRewriter(const ProxyConfig* config) : config_(config) {}

  // Writes the request head for the upstream into `out` (replacing its content, reusing its
  // capacity). `request_id` is the id the request carries upstream. `upgrade` keeps the
  // Upgrade and Connection fields of a WebSocket handshake.
  void WriteRequest(const HttpHead& request, const Peer& peer, absl::string_view request_id,
                    bool upgrade, std::string* out) const;

  // Writes the response head for the client into `out`. `close` adds "Connection: close";
  // `http10_keep_alive` adds "Connection: keep-alive" for an HTTP/1.0 client that asked for it.
  void WriteResponse(const HttpHead& response, ResponseBody body, bool close,
                     bool http10_keep_alive, std::string* out) const;

  // The request id to use: the client's X-Request-Id when it is sensible (1 to 200 visible
  // characters), otherwise empty, and the caller generates one.
  static absl::string_view IncomingRequestId(const HttpHead& request);

 private:
  const ProxyConfig* config_;
};

// True when `name` is one of the fields the Connection header of `head` nominates as hop-by-hop.
// Host and the framing fields are never treated so, whatever a client says (that would let it
// change how the upstream frames the message).
bool IsNominatedHopByHop(const HttpHead& head, absl::string_view name);

}  // namespace prevu::proxy

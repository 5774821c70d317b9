// The ACME client's HTTP: one request per connection to the CA, over TLS verified against the
// system's trust store or a given CA bundle (`[tls] acme_ca_file`), each call bounded by one
// deadline that covers resolving, connecting, the handshake, writing and reading.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace boost::asio::ssl {
class context;
}

namespace prevu::proxy::acme {

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first value of header `name` (case-insensitive), or "" when absent.
  std::string Header(absl::string_view name) const;
};

struct HttpsClientOptions {
  std::string ca_file;  // PEM bundle to trust instead of the system store; empty = system store
  absl::Duration timeout = absl::Seconds(30);  // per call, everything included
  size_t max_body_bytes = 1 << 20;             // certificate chains and ACME objects are small
  std::string user_agent = "prevu-acme";
};

class HttpsClient {
 public:
  // InvalidArgument when `ca_file` cannot be read as PEM certificates.
  static absl::StatusOr<std::unique_ptr<HttpsClient>> Create(HttpsClientOptions options);
  ~HttpsClient();

  // Sends `method` to `url` with `body` (and its `content_type` when not empty) and reads the
  // whole answer. `url` is https://host[:port]/path, or http:// for a local test CA. The server's
  // certificate must chain to a trusted root and match the host (name or IP address). Blocks the
  // calling thread; calls from several threads may overlap. Unavailable naming the step that
  // failed (resolve, connect, TLS handshake, write, read), DeadlineExceeded after the timeout,
  // InvalidArgument for a malformed URL. Any HTTP status is a successful call.
  absl::StatusOr<HttpResponse> Send(absl::string_view method, absl::string_view url,
                                    absl::string_view content_type = "",
                                    absl::string_view body = "", absl::string_view accept = "");

 private:
  explicit HttpsClient(HttpsClientOptions options);

  HttpsClientOptions options_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
};

// How long a Retry-After header (RFC 9110 section 10.2.3) asks to wait from `now`: delta-seconds
// or an IMF-fixdate. Nothing when the value is empty or malformed; never negative.
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now);

}  // namespace prevu::proxy::acme

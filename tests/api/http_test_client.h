// A deliberately small blocking HTTP/1.1 client over a raw TCP socket, for tests and the webhook
// benchmark: it sends exactly the bytes it is given (so tests can send malformed HTTP) and reads
// one response at a time, so several requests can share a keep-alive connection.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace prevu::api::testing {

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;

  std::string Header(absl::string_view name) const;  // "" when absent
};

class HttpTestClient {
 public:
  // Connects to 127.0.0.1:`port`. Reads and writes give up after 10 seconds.
  static absl::StatusOr<HttpTestClient> Connect(uint16_t port);

  HttpTestClient(HttpTestClient&& other) noexcept;
  HttpTestClient& operator=(HttpTestClient&& other) noexcept;
  ~HttpTestClient();

  // Writes all of `bytes`.
  absl::Status SendRaw(absl::string_view bytes);

  // Sends a request with Content-Length (and Host) added to `headers`.
  absl::Status Send(absl::string_view method, absl::string_view target,
                    const std::vector<std::pair<std::string, std::string>>& headers,
                    absl::string_view body);

  // Reads one response that carries Content-Length, as this project's server always sends.
  absl::StatusOr<ClientResponse> Read();

  // Send() then Read().
  absl::StatusOr<ClientResponse> Request(
      absl::string_view method, absl::string_view target,
      const std::vector<std::pair<std::string, std::string>>& headers = {},
      absl::string_view body = "");

  // True when the server has closed the connection (a read returns end of stream).
  bool PeerClosed();

 private:
  explicit HttpTestClient(int fd) : fd_(fd) {}

  absl::Status Fill();  // reads more bytes into buffer_

  int fd_ = -1;
  std::string buffer_;
};

// Reads a whole file; aborts the test program with a message when it cannot.
std::string ReadFileOrDie(const std::string& path);

}  // namespace prevu::api::testing

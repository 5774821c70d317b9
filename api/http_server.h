// The control plane's HTTP/1.1 server on Boost.Beast. It reads requests with size limits and
// deadlines, hands each complete one to an HttpHandler and writes the answer back; it knows
// nothing of webhooks or previews. Beast and Asio stay inside http_server.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/http_handler.h"

namespace prevu::api {

struct HttpServerOptions {
  // "HOST:PORT" or "[IPV6]:PORT"; port 0 picks a free port (see HttpServer::port()).
  std::string listen = "127.0.0.1:0";
  // Threads running the event loop; handlers run on them and may block on a store sync, so a
  // few threads let concurrent deliveries share one sync.
  int threads = 1;
  // The request line and headers together; over it the answer is 431 and the connection closes.
  size_t header_limit = 16 * 1024;
  // Checked from Content-Length before the body is read, and while a chunked body arrives; over
  // it the answer is 413 and the connection closes.
  uint64_t body_limit = 25 * 1024 * 1024;
  // The deadline of every read and write, including waiting for the next request on an idle
  // keep-alive connection.
  absl::Duration io_timeout = absl::Seconds(30);
  // How long a refused connection's unread input is drained before closing, so that the client
  // reads the answer instead of a reset (RFC 9112 section 9.6).
  absl::Duration linger = absl::Seconds(2);
};

class HttpServer {
 public:
  // Binds, listens and starts the threads. `handler` must outlive the server. Errors: an invalid
  // listen address (InvalidArgument) or one that cannot be bound (Unavailable), with the reason.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           HttpHandler* handler);

  // Stops the server (see Stop()).
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port, useful when the options asked for port 0.
  uint16_t port() const;

  // Closes the listener and every connection, cancelling reads and writes in progress, and
  // waits for the threads. A handler already running finishes first. Idempotent; call it from
  // any thread but the server's own.
  void Stop();

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace prevu::api

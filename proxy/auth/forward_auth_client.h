// The subrequest of forward auth: "GET forward_url" with the original request described in
// X-Forwarded-* fields, answered by an identity-aware service (Authelia, oauth2-proxy, ...).
// One client per proxy thread, used only on that thread's io_context; it keeps a few idle
// keep-alive connections to the service, so most subrequests cost one round trip.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/base/asio.h"
#include "proxy/auth/auth_settings.h"
// Asio's SSL stream is not part of the project-wide Asio header: only the proxy needs it.
#include <boost/asio/ssl.hpp>

namespace prevu::proxy {

// What the subrequest says about the original request. Empty cookie or authorization = absent.
struct ForwardAuthRequest {
  std::string method;         // X-Forwarded-Method
  std::string proto;          // X-Forwarded-Proto: "http" or "https"
  std::string host;           // X-Forwarded-Host: the Host field as the client sent it
  std::string uri;            // X-Forwarded-Uri: the request target
  std::string forwarded_for;  // X-Forwarded-For
  std::string cookie;         // Cookie, as the client sent it
  std::string authorization;  // Authorization, as the client sent it
};

// The service's answer, or why there is none.
struct ForwardAnswer {
  enum class Outcome {
    kAnswered,     // status, reason, fields and body are the service's
    kUnreachable,  // no connection (refused, no route, name not found, TLS failure)
    kTimeout,      // no complete answer within the timeout
    kInvalid,      // not HTTP/1.x, an interim status only, or a body over the limit
  };
  Outcome outcome = Outcome::kUnreachable;
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body;
};

class ForwardAuthClient {
 public:
  struct Options {
    absl::Duration timeout = absl::Seconds(5);  // for the whole subrequest
    size_t max_body_bytes = 64 * 1024;
    std::string ca_file;  // for https: the CA bundle to trust; empty = the system's
    int max_idle = 4;     // idle keep-alive connections kept
  };

  // Returns InvalidArgument when the CA file cannot be loaded. `io` must outlive the client.
  static absl::StatusOr<std::unique_ptr<ForwardAuthClient>> Create(asio::io_context& io,
                                                                   ForwardTarget target,
                                                                   Options options);
  ~ForwardAuthClient();

  // Makes the subrequest for `request`. On the io_context's thread only. Never throws; every
  // failure is an Outcome. A reused connection that the service had closed is retried once on a
  // new one.
  asio::awaitable<ForwardAnswer> Ask(const ForwardAuthRequest& request);

  // Idle connections kept for the next subrequest.
  size_t idle() const { return idle_.size(); }

  // Closes the idle connections (at drain).
  void Clear();

 private:
  struct Connection;  // a TCP or TLS stream and its read buffer
  struct Attempt;     // one Ask(): its deadline, its connection, its answer

  ForwardAuthClient(asio::io_context& io, ForwardTarget target, Options options,
                    std::unique_ptr<asio::ssl::context> tls);

  asio::awaitable<void> Run(std::shared_ptr<Attempt> attempt);
  asio::awaitable<bool> Open(Attempt& attempt, Connection& connection);
  // `*nothing_received`: the connection failed before any byte of an answer (a stale one);
  // `*keep_alive`: it may carry the next subrequest.
  asio::awaitable<ForwardAnswer> Exchange(Attempt& attempt, Connection& connection,
                                          bool* nothing_received, bool* keep_alive);
  template <typename Stream>
  asio::awaitable<ForwardAnswer> Talk(Stream& stream, Attempt& attempt, Connection& connection,
                                      bool* nothing_received, bool* keep_alive);
  std::unique_ptr<Connection> TakeIdle();
  void PutIdle(std::unique_ptr<Connection> connection);
  std::string Serialize(const ForwardAuthRequest& request) const;

  asio::io_context& io_;
  const ForwardTarget target_;
  const Options options_;
  std::unique_ptr<asio::ssl::context> tls_;  // null for http
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace prevu::proxy

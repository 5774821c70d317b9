// One client connection, from accept to close, as one coroutine on its worker's thread: the TLS
// handshake on the TLS listener, then read a request head, check it, route it, relay it to an
// upstream with its body, relay the response back, and again while the connection is kept
// alive. A second coroutine is the connection's watchdog: every read and write has a deadline,
// and a missed deadline cancels the I/O. Plain and TLS connections share all of this through
// ClientStream; on the plain listener the proxy itself answers ACME HTTP-01 challenges and
// redirects hosts that have a certificate to HTTPS.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller/base/asio.h"
#include "proxy/auth/auth_gate.h"
#include "proxy/chunked_decoder.h"
#include "proxy/endpoint.h"
#include "proxy/header_rewriter.h"
#include "proxy/http_head.h"
#include "proxy/io_buffer.h"
#include "proxy/proxy_metrics.h"
#include "proxy/request_id.h"
#include "proxy/tls/client_stream.h"

namespace prevu::proxy {

class Worker;

class ClientConnection : public std::enable_shared_from_this<ClientConnection> {
 public:
  // `tls`: the socket came from the TLS listener; the connection starts with a handshake.
  ClientConnection(Worker* worker, asio::ip::tcp::socket socket, bool tls);

  // Starts serving. The connection keeps itself alive until it closes, then tells the worker.
  void Start();

  // Closes the connection when it is between requests, or after the response in progress.
  void Drain();

  // Closes everything now (the drain deadline passed).
  void Abort();

 private:
  using Clock = std::chrono::steady_clock;

  using Self = std::shared_ptr<ClientConnection>;
  enum class HeadRead { kReady, kClosed };
  enum class Relay { kDone, kMalformed, kTooLarge, kReadFailed, kWriteFailed };

  // Coroutines take `self` so that the connection lives as long as any of them runs.
  asio::awaitable<void> Run(Self self);
  asio::awaitable<void> Watch(Self self);
  asio::awaitable<bool> Handshake();
  asio::awaitable<void> Linger();
  void SetDeadline(std::chrono::nanoseconds timeout);
  void Close();

  asio::awaitable<HeadRead> ReadHead(size_t* head_size);
  void StartExchange();
  asio::awaitable<bool> Serve(size_t head_size);
  // Access control for a route with `route_auth`. Sets `*pass` when the request may go upstream
  // (with auth_edit_ applied); otherwise the gate's reply is written and Serve's result returned.
  asio::awaitable<bool> Authorize(AuthGate& gate, RouteAuth route_auth, bool* pass);
  asio::awaitable<bool> ReadLoginForm(AuthGate& gate, const AuthDecision& decision);
  asio::awaitable<bool> WriteAuthReply(const AuthReply& reply);
  asio::awaitable<bool> Reply(int status, bool close);
  asio::awaitable<bool> WriteReply(int status, absl::string_view response, bool close);
  bool ClosesAfterReply(bool close) const;
  asio::awaitable<bool> AnswerChallenge(absl::string_view token, bool has_body);
  asio::awaitable<bool> RedirectToHttps(bool has_body);
  asio::awaitable<bool> Forward(const Endpoint& upstream, int64_t max_body, bool upgrade);
  bool TakePooled(const Endpoint& upstream);
  asio::awaitable<int> Connect(const Endpoint& upstream);
  asio::awaitable<int> SendRequest(ResponseBody mode, int64_t max_body);
  asio::awaitable<int> ReadResponseHead(size_t* head_size);
  asio::awaitable<bool> RelayResponse(const Endpoint& upstream, size_t head_size);
  // From and To are ClientStream and asio::ip::tcp::socket, one each way.
  template <typename From, typename To>
  asio::awaitable<Relay> RelayBody(From& from, IoBuffer& buffer, To& to, ResponseBody mode,
                                   uint64_t length, absl::string_view prefix, uint64_t max_bytes);
  asio::awaitable<void> Tunnel(Self self, size_t head_size);
  template <typename From, typename To>
  asio::awaitable<void> Pump(Self self, From& from, IoBuffer& buffer, To& to);
  int UpstreamFailure(UpstreamError kind, int status);
  void Finish(int status);

  Worker* worker_;
  uint64_t id_;
  ClientStream client_;
  asio::ip::tcp::socket upstream_;
  asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point armed_ = Clock::time_point::max();
  bool timed_out_ = false;
  bool linger_ = false;       // the proxy closes first: drain what the client still sends
  bool client_gone_ = false;  // a read from the client failed: nothing more can be sent
  bool closed_ = false;
  bool draining_ = false;
  bool idle_ = false;

  std::string peer_address_;
  Peer peer_;
  IoBuffer in_;   // bytes from the client
  IoBuffer out_;  // bytes from the upstream
  HttpHead request_;
  HttpHead response_;
  std::string head_;        // the head being sent, to the upstream or to the client
  UpstreamEdit auth_edit_;  // what access control changes in the request going upstream
  ChunkedDecoder decoder_;
  std::vector<asio::const_buffer> pieces_;
  char request_id_buffer_[RequestIdGenerator::kLength];

  // The request in progress: the facts that outlive its head in in_.
  struct Exchange {
    Clock::time_point start;
    absl::string_view request_id;
    bool head_method = false;
    bool http10 = false;
    bool keep_alive = true;
    bool expect_continue = false;
    bool chunked = false;
    int64_t length = 0;      // Content-Length, or 0
    bool body_done = true;   // the whole request body has gone upstream
    bool reused = false;     // sent on a pooled upstream connection
    int tunnel_open = 0;     // directions of a tunnel still open
    std::string log_method;  // copies for the access log, made only at debug level
    std::string log_host;
    std::string log_target;
    std::string log_request_id;
  } exchange_;
};

}  // namespace prevu::proxy

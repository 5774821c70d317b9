// One client connection; see client_connection.h.
#include "proxy/client_connection.h"

#include <algorithm>
#include <array>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "controller/base/log.h"
#include "proxy/acme/challenge_store.h"
#include "proxy/route_table.h"
#include "proxy/tls/certificate_store.h"
#include "proxy/worker.h"

namespace prevu::proxy {
namespace {

using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;

// ReadResponseHead's answer when a pooled connection was closed by the upstream before it
// answered: the request is sent again on a new connection.
constexpr int kRetry = -2;
// The connection cannot carry a response any more: close it without one.
constexpr int kBroken = -1;

// After the proxy answers and closes, it reads (and drops) what the client still sends for this
// long or this much, so that the client sees the answer instead of a reset (RFC 9112 §9.6).
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerBytes = 1 << 20;

constexpr absl::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// Where an ACME CA looks for HTTP-01 key authorizations (RFC 8555 §8.3).
constexpr absl::string_view kAcmeChallengePrefix = "/.well-known/acme-challenge/";

constexpr const char* kTlsFailureReasons[] = {"unknown_name", "timeout", "refused"};

auto Redirect(ErrorCode& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

asio::mutable_buffer Space(IoBuffer& buffer) {
  char* space = buffer.space();
  return asio::buffer(space, buffer.space_size());
}

asio::const_buffer View(absl::string_view s) { return asio::buffer(s.data(), s.size()); }

// A view of a run of buffers that async_write can copy without allocating (a std::vector
// would be copied into the operation, a heap allocation per write).
class BufferRun {
 public:
  explicit BufferRun(const std::vector<asio::const_buffer>& pieces)
      : begin_(pieces.data()), end_(pieces.data() + pieces.size()) {}
  const asio::const_buffer* begin() const { return begin_; }
  const asio::const_buffer* end() const { return end_; }

 private:
  const asio::const_buffer* begin_;
  const asio::const_buffer* end_;
};

std::chrono::nanoseconds Chrono(absl::Duration d) { return absl::ToChronoNanoseconds(d); }

tcp::endpoint ToAsio(const Endpoint& endpoint) {
  if (endpoint.is_v4()) {
    asio::ip::address_v4::bytes_type bytes;
    std::copy(endpoint.address.begin() + 12, endpoint.address.end(), bytes.begin());
    return tcp::endpoint(asio::ip::address_v4(bytes), endpoint.port);
  }
  asio::ip::address_v6::bytes_type bytes;
  std::copy(endpoint.address.begin(), endpoint.address.end(), bytes.begin());
  return tcp::endpoint(asio::ip::address_v6(bytes), endpoint.port);
}

Endpoint FromAsio(const tcp::endpoint& endpoint) {
  Endpoint result;
  result.port = endpoint.port();
  asio::ip::address_v6 v6 =
      endpoint.address().is_v4()
          ? asio::ip::make_address_v6(asio::ip::v4_mapped, endpoint.address().to_v4())
          : endpoint.address().to_v6();
  asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
  std::copy(bytes.begin(), bytes.end(), result.address.begin());
  return result;
}

size_t BufferSize(const ProxyConfig& config) {
  return std::max<size_t>(config.max_header_bytes, 16 * 1024);
}

// The end of one direction of a tunnel. Over TLS the client is told with close_notify first.
asio::awaitable<void> ShutdownSend(tcp::socket& socket) {
  ErrorCode ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  co_return;
}

asio::awaitable<void> ShutdownSend(ClientStream& stream) {
  ErrorCode ec;
  if (stream.tls()) {
    co_await stream.async_close_notify(Redirect(ec));
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

ClientConnection::ClientConnection(Worker* worker, tcp::socket socket, bool tls)
    : worker_(worker),
      id_(worker->NextConnectionId()),
      client_(std::move(socket)),
      upstream_(worker->io()),
      timer_(worker->io()),
      in_(BufferSize(worker->config())),
      out_(BufferSize(worker->config())),
      request_(worker->config().max_header_fields),
      response_(worker->config().max_header_fields) {
  ErrorCode ec;
  client_.socket().set_option(tcp::no_delay(true), ec);
  Endpoint peer = FromAsio(client_.socket().remote_endpoint(ec));
  peer_address_ = peer.AddressString();
  peer_.address = peer_address_;
  peer_.v6 = !peer.is_v4();
  peer_.trusted = IsTrusted(peer.address, worker->config().trusted_peers);
  if (tls) {
    client_.StartTls(worker->certificates().context());
    peer_.scheme = "https";
  }
  pieces_.reserve(64);
}

void ClientConnection::Start() {
  asio::co_spawn(worker_->io(), Run(shared_from_this()), asio::detached);
  asio::co_spawn(worker_->io(), Watch(shared_from_this()), asio::detached);
}

void ClientConnection::Drain() {
  draining_ = true;
  if (idle_) {
    ErrorCode ec;
    client_.socket().cancel(ec);
  }
}

void ClientConnection::Abort() { Close(); }

void ClientConnection::Close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  ErrorCode ec;
  client_.socket().close(ec);
  upstream_.close(ec);
  timer_.cancel();
  worker_->OnConnectionClosed(this);
}

// Moving a deadline later costs nothing; the watchdog finds out when its timer fires. Only an
// earlier deadline re-arms the timer.
void ClientConnection::SetDeadline(std::chrono::nanoseconds timeout) {
  deadline_ = Clock::now() + timeout;
  if (deadline_ < armed_) {
    timer_.cancel();
  }
}

asio::awaitable<void> ClientConnection::Watch(Self /*alive*/) {
  ErrorCode ec;
  while (!closed_) {
    armed_ = std::min(deadline_, Clock::now() + std::chrono::hours(1));
    timer_.expires_at(armed_);
    co_await timer_.async_wait(Redirect(ec));
    if (closed_) {
      break;
    }
    if (Clock::now() >= deadline_) {
      timed_out_ = true;
      deadline_ = Clock::time_point::max();
      client_.socket().cancel(ec);
      upstream_.cancel(ec);
    }
  }
}

asio::awaitable<void> ClientConnection::Run(Self /*alive*/) {
  if (client_.tls() && !co_await Handshake()) {
    Close();
    co_return;
  }
  while (!closed_) {
    size_t head_size = 0;
    if (co_await ReadHead(&head_size) == HeadRead::kClosed) {
      break;
    }
    if (!co_await Serve(head_size) || draining_) {
      break;
    }
  }

  // A tunnel's two directions close the connection themselves when both are done.
  if (exchange_.tunnel_open > 0) {
    co_return;
  }
  if ((linger_ || (client_.tls() && !client_gone_)) && !closed_) {
    co_await Linger();
  }
  Close();
}

// The TLS handshake, within the header timeout from the accept. A failure is counted and
// logged at debug level: scanners and clients with old TLS versions are routine on the Internet.
asio::awaitable<bool> ClientConnection::Handshake() {
  ErrorCode ec;
  SetDeadline(Chrono(worker_->config().header_timeout));
  co_await client_.tls_stream().async_handshake(asio::ssl::stream_base::server, Redirect(ec));
  SSL* ssl = client_.tls_stream().native_handle();
  if (!ec) {
    worker_->stats().tls_handshakes.Add();
    if (SSL_session_reused(ssl) == 1) {
      worker_->stats().tls_resumed.Add();
    }
    co_return true;
  }

  TlsFailure kind = timed_out_                              ? TlsFailure::kTimeout
                    : CertificateStore::RefusedForName(ssl) ? TlsFailure::kUnknownName
                                                            : TlsFailure::kRefused;
  timed_out_ = false;
  worker_->stats().tls_failures[static_cast<int>(kind)].Add();
  if (log::Enabled(log::Level::kDebug)) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    log::Debug("TLS handshake failed")
        .With("conn", id_)
        .With("peer", peer_address_)
        .With("reason", kTlsFailureReasons[static_cast<int>(kind)])
        .With("server_name", name == nullptr ? "" : name)
        .With("error", ec.message());
  }
  co_return false;
}

// The proxy closes first. Over TLS it sends close_notify, so that a client reading a response
// that ends at the close can tell the end from a truncation (RFC 9112 §9.8). After an error
// answer it then reads and drops what the client still sends, so that the client sees the
// answer instead of a reset (RFC 9112 §9.6).
asio::awaitable<void> ClientConnection::Linger() {
  ErrorCode ec;
  SetDeadline(kLingerTime);
  if (client_.tls()) {
    co_await client_.async_close_notify(Redirect(ec));
  }
  if (!linger_ || ec) {
    co_return;
  }
  tcp::socket& socket = client_.socket();
  socket.shutdown(tcp::socket::shutdown_send, ec);
  size_t total = 0;
  while (!ec && total < kLingerBytes) {
    in_.Consume(in_.size());
    size_t n = co_await socket.async_read_some(Space(in_), Redirect(ec));
    total += n;
  }
}

// Reads until in_ holds a complete head. Between
// requests the idle timeout applies; once the first byte of a head has arrived, the whole head must
// arrive within header_timeout.
asio::awaitable<ClientConnection::HeadRead> ClientConnection::ReadHead(size_t* head_size) {
  const ProxyConfig& config = worker_->config();
  size_t scanned = 0;
  bool started = false;
  ErrorCode ec;
  while (true) {
    // Empty lines before a request line are ignored (RFC 9112 §2.2).
    while (scanned == 0 && in_.size() >= 2 && in_.readable().substr(0, 2) == "\r\n") {
      in_.Consume(2);
    }
    if (!in_.empty()) {
      HttpHead::Scan scan = HttpHead::FindEnd(in_.readable(), &scanned, head_size);
      if (scan == HttpHead::Scan::kComplete) {
        co_return HeadRead::kReady;
      }
      if (scan == HttpHead::Scan::kInvalid) {
        StartExchange();
        co_await Reply(400, true);
        co_return HeadRead::kClosed;
      }
      if (in_.size() >= config.max_header_bytes) {
        bool no_line = in_.readable().find('\n') == absl::string_view::npos;
        StartExchange();
        co_await Reply(no_line ? 414 : 431, true);
        co_return HeadRead::kClosed;
      }
      if (!started) {
        started = true;
        StartExchange();
        SetDeadline(Chrono(config.header_timeout));
      }
    } else {
      SetDeadline(Chrono(config.idle_timeout));
    }

    if (!started && draining_) {
      co_return HeadRead::kClosed;
    }
    idle_ = !started;
    size_t n = co_await client_.async_read_some(Space(in_), Redirect(ec));
    idle_ = false;
    if (ec) {
      client_gone_ = ec != asio::error::operation_aborted;
      if (started && timed_out_ && !closed_) {
        log::Debug("request head too slow").With("conn", id_).With("bytes", in_.size());
        timed_out_ = false;
        co_await Reply(408, true);
      }
      co_return HeadRead::kClosed;
    }
    in_.Commit(n);
  }
}

void ClientConnection::StartExchange() {
  exchange_.start = Clock::now();
  exchange_.keep_alive = true;
  exchange_.body_done = true;
  exchange_.reused = false;
  exchange_.log_method.clear();
  exchange_.log_host.clear();
  exchange_.log_target.clear();
  exchange_.log_request_id.clear();
}

asio::awaitable<bool> ClientConnection::Serve(size_t head_size) {
  StartExchange();
  if (!request_.ParseRequest(in_.readable().substr(0, head_size))) {
    log::Debug("request rejected")
        .With("conn", id_)
        .With("status", request_.error_status())
        .With("reason", request_.error_reason());
    co_return co_await Reply(request_.error_status(), true);
  }

  // The facts that outlive the head: in_ is reused for the body and the next request.
  exchange_.head_method = request_.is_head_method();
  exchange_.http10 = request_.version_minor() == 0;
  exchange_.keep_alive = request_.keep_alive();
  exchange_.expect_continue = request_.expect_continue();
  exchange_.chunked = request_.chunked();
  exchange_.length = std::max<int64_t>(request_.content_length(), 0);
  exchange_.body_done = !exchange_.chunked && exchange_.length == 0;
  exchange_.request_id = HeaderRewriter::IncomingRequestId(request_);
  if (exchange_.request_id.empty()) {
    exchange_.request_id = worker_->ids().Next(request_id_buffer_);
  }
  if (log::Enabled(log::Level::kDebug)) {
    exchange_.log_method.assign(request_.method().data(), request_.method().size());
    exchange_.log_host.assign(request_.host().data(), request_.host().size());
    exchange_.log_target.assign(request_.target().data(), request_.target().size());
    exchange_.log_request_id.assign(exchange_.request_id.data(), exchange_.request_id.size());
  }
  in_.Consume(head_size);  // the views stay valid until the next read into in_
  bool has_body = !exchange_.body_done;

  // On the plain port, before routing: ACME challenges for any host, then HTTPS for the hosts
  // that have a certificate.
  if (!client_.tls()) {
    absl::string_view target = request_.target();
    if (worker_->challenges() != nullptr && absl::StartsWith(target, kAcmeChallengePrefix)) {
      co_return co_await AnswerChallenge(target.substr(kAcmeChallengePrefix.size()), has_body);
    }
    if (worker_->https_port() != 0 && worker_->certificates().Covers(request_.host())) {
      co_return co_await RedirectToHttps(has_body);
    }
  }

  // The entry is copied out before the first suspension: another connection on this thread may
  // refresh the reader's snapshot while this one waits (access control may wait).
  const RouteEntry* route = worker_->routes().Get().Lookup(request_.host());
  if (route == nullptr) {
    co_return co_await Reply(404, has_body);
  }
  bool ready = route->route.ready;
  bool resolved = route->resolved;
  RouteAuth route_auth = route->route.auth;
  Endpoint upstream = route->upstream;
  int64_t max_body = route->route.max_body_bytes > 0 ? route->route.max_body_bytes
                                                     : worker_->config().max_body_bytes;

  // Access control comes before the preview's state: whoever may not see a preview learns
  // nothing about it. Unprotected routes skip the gate with one inline comparison.
  if (!auth_edit_.empty()) {
    auth_edit_ = UpstreamEdit();
  }
  AuthGate* gate = worker_->auth();
  if (gate != nullptr && !gate->Trivial(route_auth)) {
    bool pass = false;
    bool keep = co_await Authorize(*gate, route_auth, &pass);
    if (!pass) {
      co_return keep;
    }
  }

  if (!ready) {
    co_return co_await Reply(503, has_body);
  }
  if (!resolved) {
    co_return co_await Reply(UpstreamFailure(UpstreamError::kUnresolved, 502), has_body);
  }
  bool upgrade = request_.connection_upgrade() && !request_.upgrade().empty();
  co_return co_await Forward(upstream, max_body, upgrade);
}

// GCC 12 at -O2 reports -Wmismatched-new-delete on this coroutine's frame, wrongly: Asio's frame
// operator new takes the memory from ::operator new through its recycling allocator, and the
// frame's operator delete returns it through the same allocator.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<bool> ClientConnection::Authorize(AuthGate& gate, RouteAuth route_auth,
                                                  bool* pass) {
  AuthRequest facts;
  facts.head = &request_;
  facts.route_auth = route_auth;
  facts.client_address = peer_address_;
  facts.trusted_peer = peer_.trusted;
  facts.https = client_.tls();
  AuthDecision decision = gate.Check(facts);

  // The subrequest runs on this thread's forward-auth client while the connection waits; the
  // request head in in_ stays untouched meanwhile, as nothing reads from the client.
  if (decision.kind == AuthDecision::Kind::kAskForward) {
    ForwardAuthClient* client = worker_->forward_auth();
    if (client == nullptr) {
      decision = gate.OnForwardAnswer(std::move(decision), ForwardAnswer(), exchange_.head_method);
    } else {
      SetDeadline(Chrono(gate.settings().forward_timeout) + std::chrono::seconds(1));
      decision = co_await gate.AskForward(std::move(decision), *client, exchange_.head_method);
    }
  }

  switch (decision.kind) {
    case AuthDecision::Kind::kPass:
      auth_edit_ = std::move(decision.edit);
      *pass = true;
      co_return true;
    case AuthDecision::Kind::kReadLoginForm:
      co_return co_await ReadLoginForm(gate, decision);
    default:
      co_return co_await WriteAuthReply(decision.reply);
  }
}
#pragma GCC diagnostic pop

// The login form is small (the gate checked its Content-Length), so it is read whole into in_.
asio::awaitable<bool> ClientConnection::ReadLoginForm(AuthGate& gate,
                                                      const AuthDecision& decision) {
  size_t length = static_cast<size_t>(exchange_.length);
  ErrorCode ec;
  if (exchange_.expect_continue && in_.size() < length) {
    SetDeadline(Chrono(worker_->config().body_timeout));
    co_await asio::async_write(client_, View(kContinue), Redirect(ec));
  }
  while (!ec && in_.size() < length) {
    SetDeadline(Chrono(worker_->config().body_timeout));
    size_t n = co_await client_.async_read_some(Space(in_), Redirect(ec));
    in_.Commit(n);
  }
  if (ec) {
    client_gone_ = true;
    co_return false;
  }

  AuthReply reply = gate.Login(decision, in_.readable().substr(0, length), client_.tls());
  in_.Consume(length);
  exchange_.body_done = true;
  co_return co_await WriteAuthReply(reply);
}

asio::awaitable<bool> ClientConnection::WriteAuthReply(const AuthReply& reply) {
  bool close = ClosesAfterReply(false);
  head_.assign(reply.head);
  if (close) {
    head_.append("Connection: close\r\n");
  }
  head_.append("\r\n");
  head_.append(reply.body);
  co_return co_await WriteReply(reply.status, head_, close);
}

bool ClientConnection::ClosesAfterReply(bool close) const {
  return close || draining_ || !exchange_.keep_alive || !exchange_.body_done;
}

asio::awaitable<bool> ClientConnection::Reply(int status, bool close) {
  close = ClosesAfterReply(close);
  // Counted before the write, so that whoever sees the answer also sees it counted.
  worker_->stats().local_replies[ErrorPages::Index(status)].Add();
  co_return co_await WriteReply(status, worker_->pages().Get(status, close), close);
}

// Writes a complete response the proxy made itself; `close` closes the connection after it.
asio::awaitable<bool> ClientConnection::WriteReply(int status, absl::string_view response,
                                                   bool close) {
  Finish(status);
  SetDeadline(Chrono(worker_->config().body_timeout));
  ErrorCode ec;
  co_await asio::async_write(client_, View(response), Redirect(ec));
  linger_ = linger_ || close;
  co_return !ec && !close;
}

// HTTP-01 (RFC 8555 §8.3): the key authorization for `token` as text/plain, or 404.
asio::awaitable<bool> ClientConnection::AnswerChallenge(absl::string_view token, bool has_body) {
  token = token.substr(0, token.find('?'));
  std::optional<std::string> answer = worker_->challenges()->Find(token);
  if (!answer.has_value() || token.empty()) {
    co_return co_await Reply(404, has_body);
  }
  bool close = ClosesAfterReply(has_body);
  worker_->stats().acme_answers.Add();
  head_.clear();
  absl::StrAppend(
      &head_, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ", answer->size(),
      "\r\n", close ? "Connection: close\r\n" : "", "\r\n", exchange_.head_method ? "" : *answer);
  co_return co_await WriteReply(200, head_, close);
}

// 308 keeps the method and body (RFC 9110 §15.4.9); the port is left out when it is HTTPS's
// default. The host is the one Covers() matched, so a DNS name; its port is dropped.
asio::awaitable<bool> ClientConnection::RedirectToHttps(bool has_body) {
  bool close = ClosesAfterReply(has_body);
  worker_->stats().https_redirects.Add();
  char buffer[256];
  absl::string_view host = NormalizeHost(request_.host(), buffer, sizeof(buffer));
  uint16_t port = worker_->https_port();
  head_.clear();
  absl::StrAppend(&head_, "HTTP/1.1 308 Permanent Redirect\r\nLocation: https://", host);
  if (port != 443) {
    absl::StrAppend(&head_, ":", port);
  }
  absl::StrAppend(&head_, request_.target(), "\r\nContent-Length: 0\r\n",
                  close ? "Connection: close\r\n" : "", "\r\n");
  co_return co_await WriteReply(308, head_, close);
}

asio::awaitable<bool> ClientConnection::Forward(const Endpoint& upstream, int64_t max_body,
                                                bool upgrade) {
  if (exchange_.length > max_body) {
    co_return co_await Reply(413, true);
  }
  worker_->rewriter().WriteRequest(request_, peer_, exchange_.request_id, upgrade, &head_);
  if (!auth_edit_.empty()) {
    auth_edit_.ApplyTo(&head_);
  }

  // A malformed chunk already received is refused before anything is sent upstream.
  ResponseBody mode = exchange_.chunked      ? ResponseBody::kChunked
                      : exchange_.length > 0 ? ResponseBody::kLength
                                             : ResponseBody::kNone;
  bool body_buffered = in_.size() >= static_cast<size_t>(exchange_.length);
  if (exchange_.chunked) {
    ChunkedDecoder probe;
    probe.Scan(in_.readable());
    if (probe.failed()) {
      co_return co_await Reply(400, true);
    }
    body_buffered = probe.done();
  }

  size_t response_head = 0;
  for (int attempt = 0;; ++attempt) {
    // A failure answer keeps the client's connection unless a body is left unread (Reply).
    int failure = TakePooled(upstream) ? 0 : co_await Connect(upstream);
    if (failure != 0) {
      co_return co_await Reply(failure, false);
    }
    if (attempt == 0 && exchange_.expect_continue && !body_buffered) {
      ErrorCode ec;
      co_await asio::async_write(client_, View(kContinue), Redirect(ec));
    }

    failure = co_await SendRequest(mode, max_body);
    if (failure == 0) {
      failure = co_await ReadResponseHead(&response_head);
    }
    // A pooled connection the upstream had closed: safe to send again when there is no body.
    if (failure == kRetry && attempt == 0 && mode == ResponseBody::kNone) {
      continue;
    }
    if (failure == kRetry) {
      failure = UpstreamFailure(UpstreamError::kReset, 502);
    }
    if (failure == kBroken) {
      co_return false;
    }
    if (failure != 0) {
      co_return co_await Reply(failure, false);
    }
    break;
  }

  if (response_.status() == 101) {
    if (!upgrade) {
      co_return co_await Reply(UpstreamFailure(UpstreamError::kBadResponse, 502), true);
    }
    co_await Tunnel(shared_from_this(), response_head);
    co_return false;
  }
  co_return co_await RelayResponse(upstream, response_head);
}

bool ClientConnection::TakePooled(const Endpoint& upstream) {
  ErrorCode ec;
  upstream_.close(ec);
  exchange_.reused = worker_->pool().Take(upstream, Clock::now(), &upstream_);
  if (exchange_.reused) {
    worker_->stats().upstream_reuses.Add();
  }
  return exchange_.reused;
}

asio::awaitable<int> ClientConnection::Connect(const Endpoint& upstream) {
  ErrorCode ec;
  timed_out_ = false;
  SetDeadline(Chrono(worker_->config().upstream_connect_timeout));
  co_await upstream_.async_connect(ToAsio(upstream), Redirect(ec));
  if (ec) {
    bool timeout = timed_out_;
    timed_out_ = false;
    log::Debug("upstream connect failed")
        .With("conn", id_)
        .With("upstream", upstream.ToString())
        .With("error", ec.message());
    co_return timeout ? UpstreamFailure(UpstreamError::kConnectTimeout, 504)
                      : UpstreamFailure(UpstreamError::kRefused, 502);
  }
  upstream_.set_option(tcp::no_delay(true), ec);
  worker_->stats().upstream_connects.Add();
  co_return 0;
}

// Sends the request head and its body. Returns 0, an HTTP status to answer with, kRetry or
// kBroken.
asio::awaitable<int> ClientConnection::SendRequest(ResponseBody mode, int64_t max_body) {
  decoder_.Reset();
  Relay relay = co_await RelayBody(client_, in_, upstream_, mode, exchange_.length, head_,
                                   static_cast<uint64_t>(max_body));
  switch (relay) {
    case Relay::kDone:
      exchange_.body_done = true;
      co_return 0;
    case Relay::kMalformed:
      co_return 400;
    case Relay::kTooLarge:
      co_return 413;
    case Relay::kReadFailed:
      co_return kBroken;
    case Relay::kWriteFailed:
      co_return exchange_.reused ? kRetry : UpstreamFailure(UpstreamError::kReset, 502);
  }
  co_return kBroken;
}

asio::awaitable<int> ClientConnection::ReadResponseHead(size_t* head_size) {
  size_t scanned = 0;
  bool any = false;
  ErrorCode ec;
  out_.Consume(out_.size());
  while (true) {
    if (!out_.empty()) {
      any = true;
      HttpHead::Scan scan = HttpHead::FindEnd(out_.readable(), &scanned, head_size);
      if (scan == HttpHead::Scan::kComplete) {
        if (!response_.ParseResponse(out_.readable().substr(0, *head_size))) {
          co_return UpstreamFailure(UpstreamError::kBadResponse, 502);
        }
        // Interim responses are dropped: the proxy answered any Expect itself (RFC 9110 §15.2).
        if (response_.status() >= 200 || response_.status() == 101) {
          co_return 0;
        }
        out_.Consume(*head_size);
        scanned = 0;
        continue;
      }
      if (scan == HttpHead::Scan::kInvalid || out_.full()) {
        co_return UpstreamFailure(UpstreamError::kBadResponse, 502);
      }
    }

    timed_out_ = false;
    SetDeadline(Chrono(worker_->config().upstream_response_timeout));
    size_t n = co_await upstream_.async_read_some(Space(out_), Redirect(ec));
    if (ec) {
      if (timed_out_) {
        timed_out_ = false;
        co_return UpstreamFailure(UpstreamError::kResponseTimeout, 504);
      }
      co_return !any && exchange_.reused ? kRetry : UpstreamFailure(UpstreamError::kReset, 502);
    }
    out_.Commit(n);
  }
}

asio::awaitable<bool> ClientConnection::RelayResponse(const Endpoint& upstream, size_t head_size) {
  int status = response_.status();
  ResponseBody mode = ResponseBody::kUntilClose;
  if (exchange_.head_method || status == 204 || status == 304) {
    mode = ResponseBody::kNone;
  } else if (response_.chunked()) {
    mode = exchange_.http10 ? ResponseBody::kDechunked : ResponseBody::kChunked;
  } else if (response_.content_length() >= 0) {
    mode = ResponseBody::kLength;
  }

  bool close = !exchange_.keep_alive || draining_ || mode == ResponseBody::kDechunked ||
               mode == ResponseBody::kUntilClose;
  bool reusable = response_.keep_alive() && mode != ResponseBody::kUntilClose;
  uint64_t length = std::max<int64_t>(response_.content_length(), 0);
  worker_->rewriter().WriteResponse(response_, mode, close, exchange_.http10 && !close, &head_);
  out_.Consume(head_size);

  decoder_.Reset();
  Relay relay = co_await RelayBody(upstream_, out_, client_, mode, length, head_, ~uint64_t{0});
  bool done = relay == Relay::kDone;
  if (relay == Relay::kReadFailed || relay == Relay::kMalformed) {
    UpstreamFailure(timed_out_ ? UpstreamError::kResponseTimeout : UpstreamError::kReset, 0);
  }
  if (done && reusable && out_.empty() && !closed_) {
    worker_->pool().Put(upstream, Clock::now(), std::move(upstream_));
  } else {
    ErrorCode ec;
    upstream_.close(ec);
  }
  Finish(status);
  co_return done && !close;
}

// Relays one body from `from` to `to`: first the bytes already in `buffer`, then as they come,
// through `buffer` only, so memory stays constant whatever the size. `prefix` (a head) goes out
// in the same write as the first body bytes.
template <typename From, typename To>
asio::awaitable<ClientConnection::Relay> ClientConnection::RelayBody(From& from, IoBuffer& buffer,
                                                                     To& to, ResponseBody mode,
                                                                     uint64_t length,
                                                                     absl::string_view prefix,
                                                                     uint64_t max_bytes) {
  const auto timeout = Chrono(worker_->config().body_timeout);
  bool done = mode == ResponseBody::kNone || (mode == ResponseBody::kLength && length == 0);
  uint64_t total = 0;
  ErrorCode ec;
  while (true) {
    pieces_.clear();
    if (!prefix.empty()) {
      pieces_.push_back(View(prefix));
    }
    size_t used = 0;
    if (!done && !buffer.empty()) {
      absl::string_view data = buffer.readable();
      switch (mode) {
        case ResponseBody::kLength:
          used = static_cast<size_t>(std::min<uint64_t>(length, data.size()));
          length -= used;
          done = length == 0;
          pieces_.push_back(View(data.substr(0, used)));
          break;
        case ResponseBody::kChunked:
          used = decoder_.Scan(data);
          done = decoder_.done();
          pieces_.push_back(View(data.substr(0, used)));
          break;
        case ResponseBody::kDechunked:
          used = decoder_.Decode(data, [&](absl::string_view d) { pieces_.push_back(View(d)); });
          done = decoder_.done();
          break;
        default:
          used = data.size();
          pieces_.push_back(View(data));
          break;
      }
      total += used;
    }
    if (decoder_.failed()) {
      co_return Relay::kMalformed;
    }
    if (total > max_bytes) {
      co_return Relay::kTooLarge;
    }

    if (!pieces_.empty()) {
      SetDeadline(timeout);
      co_await asio::async_write(to, BufferRun(pieces_), Redirect(ec));
      if (ec) {
        co_return Relay::kWriteFailed;
      }
    }
    prefix = absl::string_view();
    buffer.Consume(used);
    if (done) {
      co_return Relay::kDone;
    }

    SetDeadline(timeout);
    size_t n = co_await from.async_read_some(Space(buffer), Redirect(ec));
    if (ec) {
      bool end = mode == ResponseBody::kUntilClose && ec == asio::error::eof;
      co_return end ? Relay::kDone : Relay::kReadFailed;
    }
    buffer.Commit(n);
  }
}

// After a 101 (RFC 9110 §15.2.2) the connection belongs to the new protocol: bytes are copied
// both ways until both sides have closed, and each direction's end is passed on as a shutdown.
asio::awaitable<void> ClientConnection::Tunnel(Self self, size_t head_size) {
  worker_->rewriter().WriteResponse(response_, ResponseBody::kNone, false, false, &head_);
  out_.Consume(head_size);
  std::array<asio::const_buffer, 2> first = {View(head_), View(out_.readable())};
  ErrorCode ec;
  SetDeadline(Chrono(worker_->config().tunnel_idle_timeout));
  co_await asio::async_write(client_, first, Redirect(ec));
  out_.Consume(out_.size());
  Finish(101);
  if (ec) {
    co_return;
  }

  exchange_.tunnel_open = 2;
  asio::co_spawn(worker_->io(), Pump(self, client_, in_, upstream_), asio::detached);
  co_await Pump(self, upstream_, out_, client_);
}

template <typename From, typename To>
asio::awaitable<void> ClientConnection::Pump(Self /*alive*/, From& from, IoBuffer& buffer, To& to) {
  const auto timeout = Chrono(worker_->config().tunnel_idle_timeout);
  ErrorCode ec;
  while (!closed_) {
    if (buffer.empty()) {
      size_t n = co_await from.async_read_some(Space(buffer), Redirect(ec));
      if (ec) {
        break;
      }
      buffer.Commit(n);
    }
    SetDeadline(timeout);
    co_await asio::async_write(to, View(buffer.readable()), Redirect(ec));
    if (ec) {
      break;
    }
    buffer.Consume(buffer.size());
  }

  if (ec == asio::error::eof && --exchange_.tunnel_open > 0) {
    co_await ShutdownSend(to);
    co_return;
  }
  exchange_.tunnel_open = 0;
  Close();
}

int ClientConnection::UpstreamFailure(UpstreamError kind, int status) {
  worker_->stats().upstream_errors[static_cast<int>(kind)].Add();
  ErrorCode ec;
  upstream_.close(ec);
  return status;
}

void ClientConnection::Finish(int status) {
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - exchange_.start);
  worker_->stats().RecordRequest(status, took.count());
  if (log::Enabled(log::Level::kDebug)) {
    log::Debug("request")
        .With("conn", id_)
        .With("request_id", exchange_.log_request_id)
        .With("method", exchange_.log_method)
        .With("host", exchange_.log_host)
        .With("path", exchange_.log_target)
        .With("status", status)
        .With("took_us", took.count());
  }
}

}  // namespace prevu::proxy

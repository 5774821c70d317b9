// The HTTP server; see http_server.h. The only translation unit of the api module that includes
// Beast: every connection is one Connection object whose operations run on its own strand.
#include "api/http_server.h"

#include <array>
#include <atomic>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "controller/base/asio.h"
#include "controller/base/log.h"
#include "controller/base/strings.h"

namespace prevu::api {
namespace {

using tcp = asio::ip::tcp;

constexpr size_t kReadBufferSize = 64 * 1024;

absl::StatusOr<tcp::endpoint> ParseListenAddress(absl::string_view listen) {
  absl::Status invalid = absl::InvalidArgumentError(absl::StrCat(
      "listen address `", listen, "` must be IP:PORT, such as 127.0.0.1:9080 or [::1]:9080"));
  size_t colon = listen.rfind(':');
  if (colon == absl::string_view::npos) {
    return invalid;
  }
  absl::string_view host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") {
    host = "127.0.0.1";
  }

  int port = -1;
  if (!absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return invalid;
  }
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(std::string(host), ec);
  if (ec) {
    return invalid;
  }
  return tcp::endpoint(address, static_cast<uint16_t>(port));
}

bool ExpectsContinue(const http::request<http::string_body>& head) {
  auto expect = head.find(http::field::expect);
  return expect != head.end() && absl::EqualsIgnoreCase(ToAbsl(expect->value()), "100-continue");
}

HttpRequest ToHttpRequest(http::request<http::string_body>& message) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    request.AddHeader(ToAbsl(field.name_string()), ToAbsl(field.value()));
  }
  request.body = std::move(message.body());
  return request;
}

}  // namespace

class Connection;

class HttpServer::Impl {
 public:
  Impl(const HttpServerOptions& options, HttpHandler* handler)
      : options_(options), handler_(handler), acceptor_(asio::make_strand(ioc_)) {}

  absl::Status Listen(const tcp::endpoint& endpoint);
  void Run();
  void Stop();
  void Forget(Connection* connection);

  const HttpServerOptions& options() const { return options_; }
  HttpHandler* handler() const { return handler_; }
  bool stopping() const { return stopping_.load(); }
  uint16_t port() const { return port_; }

 private:
  void StartAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void CloseAll();

  const HttpServerOptions options_;
  HttpHandler* const handler_;
  std::atomic<bool> stopping_{false};
  absl::Mutex stop_mu_;  // serialises Stop()

  // Declared before the io_context: destroying its pending handlers destroys connections,
  // which unregister themselves here.
  absl::Mutex mu_;
  absl::flat_hash_map<Connection*, std::weak_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);

  asio::io_context ioc_;
  tcp::acceptor acceptor_;  // used on its own strand only
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
};

// One client connection. Every member function after Start() runs on the socket's strand, so
// the object needs no lock; it lives as long as an operation holds its shared_ptr.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, HttpServer::Impl* server)
      : stream_(std::move(socket)), server_(server) {
    // Beast reads at most the buffer's free capacity, 512 bytes when it starts empty: a 28 KB
    // webhook would take some 60 reads.
    buffer_.reserve(kReadBufferSize);
  }

  ~Connection() { server_->Forget(this); }

  void Start() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Connection::StartRead, shared_from_this()));
  }

  // Safe from any thread: the close happens on the strand.
  void CloseSoon() {
    asio::post(stream_.get_executor(),
               beast::bind_front_handler(&Connection::Close, shared_from_this()));
  }

 private:
  const HttpServerOptions& options() const { return server_->options(); }

  void StartRead() {
    if (server_->stopping()) {
      Close();
      return;
    }
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options().header_limit));
    parser_->body_limit(options().body_limit);
    stream_.expires_after(absl::ToChronoNanoseconds(options().io_timeout));
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Connection::OnReadHeader, shared_from_this()));
  }

  void OnReadHeader(beast::error_code ec, size_t) {
    if (ec) {
      OnReadError(ec);
      return;
    }

    // curl and others wait for this interim answer before sending a large body (RFC 9110
    // section 10.1.1); the body limit was already checked against Content-Length.
    if (ExpectsContinue(parser_->get()) && !parser_->is_done()) {
      continue_.version(parser_->get().version());
      continue_.result(http::status::continue_);
      stream_.expires_after(absl::ToChronoNanoseconds(options().io_timeout));
      http::async_write(stream_, continue_,
                        [self = shared_from_this()](beast::error_code write_ec, size_t) {
                          write_ec ? self->Close() : self->StartReadBody();
                        });
      return;
    }
    StartReadBody();
  }

  void StartReadBody() {
    if (parser_->is_done()) {
      Dispatch();
      return;
    }
    stream_.expires_after(absl::ToChronoNanoseconds(options().io_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Connection::OnReadBody, shared_from_this()));
  }

  void OnReadBody(beast::error_code ec, size_t) {
    if (ec) {
      OnReadError(ec);
      return;
    }
    Dispatch();
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      Refuse(413, absl::StrCat("request body is larger than the limit of ", options().body_limit,
                               " bytes"));
      return;
    }
    if (ec == http::error::header_limit) {
      Refuse(431, absl::StrCat("request line and headers are larger than the limit of ",
                               options().header_limit, " bytes"));
      return;
    }

    // A parse error means the bytes are not HTTP; a client that left mid-message gets nothing.
    if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      Refuse(400, absl::StrCat("malformed HTTP request: ", ec.message()));
      return;
    }
    if (ec != asio::error::operation_aborted && ec != http::error::end_of_stream) {
      log::Debug("http connection closed").With("reason", ec.message());
    }
    Close();
  }

  void Dispatch() {
    http::request<http::string_body> message = parser_->release();
    bool keep_alive = message.keep_alive();
    unsigned version = message.version();
    HttpRequest request = ToHttpRequest(message);

    HttpResponse response;
    try {
      response = server_->handler()->Handle(request);
    } catch (const std::exception& e) {
      // Handlers do not throw by contract; this keeps one broken request from ending the server.
      log::Error("http handler threw").With("target", request.target).With("what", e.what());
      response = HttpResponse::Error(500, "internal error; see the server log");
    }
    Respond(std::move(response), version, keep_alive);
  }

  // Answers without reading the rest of the request, then drains and closes.
  void Refuse(int status, absl::string_view message) {
    HttpRequest head;
    unsigned version = 11;
    if (parser_ && parser_->got_some()) {
      head.method = std::string(parser_->get().method_string());
      head.target = std::string(parser_->get().target());
      for (const auto& field : parser_->get()) {
        head.AddHeader(ToAbsl(field.name_string()), ToAbsl(field.value()));
      }
      version = parser_->get().version() == 10 ? 10 : 11;
    }
    HttpResponse response = HttpResponse::Error(status, message);
    server_->handler()->OnRefused(head, response);
    linger_after_write_ = true;
    Respond(std::move(response), version, /*keep_alive=*/false);
  }

  void Respond(HttpResponse response, unsigned version, bool keep_alive) {
    response_ = {};
    response_.version(version);
    response_.result(static_cast<unsigned>(response.status));
    response_.set(http::field::server, "prevu");
    response_.set(http::field::content_type, ToStd(response.content_type));
    for (const auto& [name, value] : response.headers) {
      response_.set(ToStd(name), ToStd(value));
    }
    response_.body() = std::move(response.body);
    response_.keep_alive(keep_alive && !server_->stopping());
    response_.prepare_payload();

    stream_.expires_after(absl::ToChronoNanoseconds(options().io_timeout));
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Connection::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    if (ec) {
      Close();
      return;
    }
    if (linger_after_write_) {
      StartLinger();
      return;
    }
    if (!response_.keep_alive()) {
      Close();
      return;
    }
    StartRead();
  }

  // Half-closes and discards input until the client closes or the linger time ends: closing
  // with unread input would make the kernel send a reset that can destroy the answer in flight.
  void StartLinger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(absl::ToChronoNanoseconds(options().linger));
    StartDrain();
  }

  void StartDrain() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              ec ? self->Close() : self->StartDrain();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  HttpServer::Impl* const server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::empty_body> continue_;
  http::response<http::string_body> response_;
  bool linger_after_write_ = false;
  std::array<char, 4096> drain_;
};

absl::Status HttpServer::Impl::Listen(const tcp::endpoint& endpoint) {
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor_.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", endpoint.address().to_string(),
                                               ":", endpoint.port(), ": ", ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  return absl::OkStatus();
}

void HttpServer::Impl::Run() {
  // The first accept is posted before the threads start so that run() finds work.
  asio::post(acceptor_.get_executor(), [this] { StartAccept(); });
  int threads = options_.threads < 1 ? 1 : options_.threads;
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
}

void HttpServer::Impl::StartAccept() {
  acceptor_.async_accept(asio::make_strand(ioc_), beast::bind_front_handler(&Impl::OnAccept, this));
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
    return;
  }
  if (ec) {
    log::Warn("http accept failed").With("port", port_).With("reason", ec.message());
    StartAccept();
    return;
  }

  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto connection = std::make_shared<Connection>(std::move(socket), this);
  bool registered = false;
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_.load()) {
      connections_[connection.get()] = connection;
      registered = true;
    }
  }
  if (!registered) {
    return;  // stopping: the connection closes its socket when destroyed, outside the lock
  }
  connection->Start();
  StartAccept();
}

void HttpServer::Impl::Forget(Connection* connection) {
  absl::MutexLock lock(&mu_);
  connections_.erase(connection);
}

void HttpServer::Impl::CloseAll() {
  beast::error_code ignored;
  acceptor_.close(ignored);

  // The references are dropped outside the lock: the last one runs ~Connection, which locks.
  std::vector<std::shared_ptr<Connection>> open;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [raw, weak] : connections_) {
      if (std::shared_ptr<Connection> connection = weak.lock()) {
        open.push_back(std::move(connection));
      }
    }
  }
  for (const std::shared_ptr<Connection>& connection : open) {
    connection->CloseSoon();
  }
}

void HttpServer::Impl::Stop() {
  absl::MutexLock stop_lock(&stop_mu_);
  {
    absl::MutexLock lock(&mu_);
    stopping_.store(true);
  }
  // Every operation is cancelled, so io_context::run() returns once the handlers have finished.
  asio::post(acceptor_.get_executor(), [this] { CloseAll(); });
  for (std::thread& thread : threads_) {
    if (thread.joinable()) {
      thread.join();
    }
  }
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              HttpHandler* handler) {
  absl::StatusOr<tcp::endpoint> endpoint = ParseListenAddress(options.listen);
  if (!endpoint.ok()) {
    return endpoint.status();
  }
  auto impl = std::make_unique<Impl>(options, handler);
  if (absl::Status status = impl->Listen(*endpoint); !status.ok()) {
    return status;
  }
  impl->Run();
  log::Info("http server listening")
      .With("address", endpoint->address().to_string())
      .With("port", impl->port())
      .With("threads", options.threads);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port(); }

void HttpServer::Stop() { impl_->Stop(); }

}  // namespace prevu::api

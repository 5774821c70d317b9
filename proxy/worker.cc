// One proxy thread; see worker.h.
#include "proxy/worker.h"

#include <sys/socket.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "controller/base/log.h"
#include "proxy/auth/auth_gate.h"
#include "proxy/client_connection.h"

namespace prevu::proxy {
namespace {

using tcp = asio::ip::tcp;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// When accept fails for lack of descriptors, wait this long before trying again rather than
// spinning; connections that close meanwhile free descriptors.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(50);

}  // namespace

Worker::Worker(int index, const WorkerShared* shared, ThreadStats* stats, int max_connections)
    : index_(index),
      shared_(shared),
      stats_(stats),
      max_connections_(static_cast<size_t>(std::max(max_connections, 1))),
      io_(1),
      plain_(io_),
      tls_(io_),
      drain_timer_(io_),
      expire_timer_(io_),
      routes_(shared->routes),
      pool_(shared->config->upstream_idle_per_host,
            absl::ToChronoNanoseconds(shared->config->upstream_idle_timeout)),
      rewriter_(shared->config) {
  // ProxyServer::Start has checked that the client can be made (its CA file loads).
  const AuthGate* gate = shared->auth;
  if (gate != nullptr && gate->forward_target() != nullptr) {
    absl::StatusOr<std::unique_ptr<ForwardAuthClient>> client =
        ForwardAuthClient::Create(io_, *gate->forward_target(), gate->forward_options());
    if (client.ok()) {
      forward_auth_ = *std::move(client);
    }
  }
}

Worker::~Worker() {
  if (thread_.joinable()) {
    Drain(std::chrono::steady_clock::now());
    Join();
  }
}

absl::Status Worker::Listen(const tcp::endpoint& endpoint) {
  return Bind(plain_, endpoint, &port_);
}

absl::Status Worker::ListenTls(const tcp::endpoint& endpoint) {
  return Bind(tls_, endpoint, &tls_port_);
}

absl::Status Worker::Bind(Listener& listener, const tcp::endpoint& endpoint, uint16_t* port) {
  // SO_REUSEPORT must be set on every socket before bind, or the second thread's bind fails.
  tcp::acceptor& acceptor = listener.acceptor;
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  ec ? void() : acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  ec ? void() : acceptor.set_option(ReusePort(true), ec);
  ec ? void() : acceptor.bind(endpoint, ec);
  ec ? void() : acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::string address = endpoint.address().to_string();
    return absl::UnavailableError(absl::StrCat("proxy cannot listen on ", address, " port ",
                                               endpoint.port(), ": ", ec.message()));
  }
  *port = acceptor.local_endpoint(ec).port();
  return absl::OkStatus();
}

void Worker::Start() {
  StartAccepting(plain_, false);
  StartAccepting(tls_, true);
  asio::co_spawn(io_, ExpireIdleUpstreams(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

void Worker::StartAccepting(Listener& listener, bool tls) {
  if (listener.accepting || !listener.acceptor.is_open()) {
    return;
  }
  listener.accepting = true;
  asio::co_spawn(io_, Accept(listener, tls), asio::detached);
}

void Worker::Drain(std::chrono::steady_clock::time_point deadline) {
  asio::post(io_, [this, deadline] { StartDrain(deadline); });
}

void Worker::Join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Worker::StartDrain(std::chrono::steady_clock::time_point deadline) {
  if (draining_) {
    return;
  }
  draining_ = true;
  boost::system::error_code ec;
  plain_.acceptor.close(ec);
  tls_.acceptor.close(ec);
  expire_timer_.cancel();
  pool_.Clear();
  if (forward_auth_ != nullptr) {
    forward_auth_->Clear();
  }

  std::vector<ClientConnection*> open(open_.begin(), open_.end());
  for (ClientConnection* connection : open) {
    connection->Drain();
  }
  if (open_.empty()) {
    return;
  }
  drain_timer_.expires_at(deadline);
  drain_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) {
      return;  // every connection finished in time
    }
    log::Warn("drain deadline passed; closing connections").With("open", open_.size());
    std::vector<ClientConnection*> left(open_.begin(), open_.end());
    for (ClientConnection* connection : left) {
      connection->Abort();
    }
  });
}

void Worker::OnConnectionClosed(ClientConnection* connection) {
  open_.erase(connection);
  stats_->connections_closed.Add();
  if (draining_) {
    if (open_.empty()) {
      drain_timer_.cancel();
      pool_.Clear();
    }
    return;
  }
  // Accepting paused at the connection limit: a free slot resumes it.
  if (open_.size() < max_connections_) {
    StartAccepting(plain_, false);
    StartAccepting(tls_, true);
  }
}

asio::awaitable<void> Worker::ExpireIdleUpstreams() {
  auto period = absl::ToChronoNanoseconds(config().upstream_idle_timeout);
  boost::system::error_code ec;
  while (!draining_) {
    expire_timer_.expires_after(period);
    co_await expire_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    pool_.Expire(std::chrono::steady_clock::now());
  }
}

asio::awaitable<void> Worker::Accept(Listener& listener, bool tls) {
  asio::steady_timer backoff(io_);
  while (!draining_) {
    if (open_.size() >= max_connections_) {
      listener.accepting = false;  // new connections wait in the kernel's queue
      co_return;
    }
    boost::system::error_code ec;
    tcp::socket socket =
        co_await listener.acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || draining_ || !listener.acceptor.is_open()) {
      listener.accepting = false;
      co_return;
    }
    if (ec) {
      log::Warn("accept failed").With("worker", index_).With("error", ec.message());
      backoff.expires_after(kAcceptBackoff);
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }

    auto connection = std::make_shared<ClientConnection>(this, std::move(socket), tls);
    open_.insert(connection.get());
    stats_->connections_opened.Add();
    connection->Start();
  }
}

}  // namespace prevu::proxy

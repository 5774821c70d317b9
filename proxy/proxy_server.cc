// The proxy as a whole; see proxy_server.h.
#include "proxy/proxy_server.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "controller/base/clock.h"
#include "controller/base/log.h"
#include "proxy/auth/forward_auth_client.h"
#include "proxy/worker.h"

namespace prevu::proxy {
namespace {

int ThreadCount(int configured) {
  if (configured > 0) {
    return configured;
  }
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace

ProxyServer::ProxyServer(ProxyConfig config, base::MetricsRegistry* registry)
    : config_(std::move(config)),
      threads_(ThreadCount(config_.threads)),
      pages_(config_.retry_after_seconds, config_.noindex),
      metrics_(threads_, registry),
      auth_(std::make_unique<AuthGate>(config_.auth, config_.noindex, base::Clock::Real(),
                                       registry)) {
  shared_.config = &config_;
  shared_.routes = &routes_;
  shared_.pages = &pages_;
  shared_.certificates = &certificates_;
  shared_.auth = auth_.get();
}

void ProxyServer::SetChallengeStore(const ChallengeStore* challenges) {
  shared_.challenges = challenges;
}

ProxyServer::~ProxyServer() {
  if (running_) {
    Drain();
  }
}

absl::Status ProxyServer::Start() {
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(config_.listen_host, ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat("listen address \"", config_.listen_host,
                                                   "\" is not an IP address, such as 0.0.0.0"));
  }
  asio::ip::address tls_address;
  if (config_.tls_listen) {
    tls_address = asio::ip::make_address(config_.tls_listen->host, ec);
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat("TLS listen address \"",
                                                     config_.tls_listen->host,
                                                     "\" is not an IP address, such as 0.0.0.0"));
    }
  }

  absl::Status auth = CheckForwardAuth();
  if (!auth.ok()) {
    return auth;
  }

  int per_thread = (config_.max_connections + threads_ - 1) / threads_;
  for (int i = 0; i < threads_; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, &shared_, &metrics_.thread(i), per_thread));
  }
  absl::Status status = ListenEverywhere(address, config_.listen_port, false);
  if (status.ok() && config_.tls_listen) {
    status = ListenEverywhere(tls_address, config_.tls_listen->port, true);
  }
  if (!status.ok()) {
    workers_.clear();
    return status;
  }
  port_ = workers_.front()->port();
  tls_port_ = workers_.front()->tls_port();
  if (config_.tls_listen) {
    uint16_t public_port = config_.tls_listen->public_port;
    shared_.https_port = public_port != 0 ? public_port : tls_port_;
  }

  // The workers read shared_ from now on: starting their threads publishes it to them.
  for (auto& worker : workers_) {
    worker->Start();
  }
  running_ = true;
  log::Info("proxy listening")
      .With("address", absl::StrCat(config_.listen_host, ":", port_))
      .With("tls_address",
            config_.tls_listen ? absl::StrCat(config_.tls_listen->host, ":", tls_port_) : "none")
      .With("threads", threads_);
  return absl::OkStatus();
}

// The first thread binds the port (perhaps port 0, chosen by the kernel); the others bind the
// same port with SO_REUSEPORT, and the kernel spreads new connections over them.
absl::Status ProxyServer::ListenEverywhere(const asio::ip::address& address, uint16_t port,
                                           bool tls) {
  for (auto& worker : workers_) {
    asio::ip::tcp::endpoint endpoint(address, port);
    absl::Status status = tls ? worker->ListenTls(endpoint) : worker->Listen(endpoint);
    if (!status.ok()) {
      return status;
    }
    port = tls ? worker->tls_port() : worker->port();
  }
  return absl::OkStatus();
}

// Every worker makes its own forward-auth client; making one here first turns a CA file that
// does not load into an error at start rather than a 503 on every request.
absl::Status ProxyServer::CheckForwardAuth() const {
  if (auth_->forward_target() == nullptr) {
    return absl::OkStatus();
  }
  asio::io_context io;
  return ForwardAuthClient::Create(io, *auth_->forward_target(), auth_->forward_options()).status();
}

void ProxyServer::Drain() {
  if (!running_) {
    return;
  }
  running_ = false;
  auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(config_.drain_timeout);
  log::Info("proxy draining").With("active_connections", metrics_.ActiveConnections());
  for (auto& worker : workers_) {
    worker->Drain(deadline);
  }
  for (auto& worker : workers_) {
    worker->Join();
  }
  workers_.clear();
  log::Info("proxy stopped");
}

}  // namespace prevu::proxy

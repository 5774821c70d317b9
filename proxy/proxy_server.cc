// The proxy as a whole; see proxy_server.h.
#include "proxy/proxy_server.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "controller/base/log.h"
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
      pages_(config_.retry_after_seconds),
      metrics_(threads_, registry) {}

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

  // The first thread binds the port (perhaps port 0, chosen by the kernel); the others bind the
  // same port with SO_REUSEPORT, and the kernel spreads new connections over them.
  int per_thread = (config_.max_connections + threads_ - 1) / threads_;
  uint16_t port = config_.listen_port;
  for (int i = 0; i < threads_; ++i) {
    auto worker =
        std::make_unique<Worker>(i, &config_, &routes_, &metrics_.thread(i), &pages_, per_thread);
    absl::Status status = worker->Listen(asio::ip::tcp::endpoint(address, port));
    if (!status.ok()) {
      workers_.clear();
      return status;
    }
    port = worker->port();
    workers_.push_back(std::move(worker));
  }
  port_ = port;

  for (auto& worker : workers_) {
    worker->Start();
  }
  running_ = true;
  log::Info("proxy listening")
      .With("address", absl::StrCat(config_.listen_host, ":", port_))
      .With("threads", threads_);
  return absl::OkStatus();
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

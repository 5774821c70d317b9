// One proxy thread: its own event loop, its own listening socket on the shared port
// (SO_REUSEPORT, so the kernel spreads new connections over the threads), its own upstream pool,
// route reader and metrics. Nothing on the request path is shared with other threads.
#pragma once

#include <chrono>
#include <memory>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "controller/base/asio.h"
#include "proxy/error_pages.h"
#include "proxy/header_rewriter.h"
#include "proxy/proxy_config.h"
#include "proxy/proxy_metrics.h"
#include "proxy/request_id.h"
#include "proxy/route_store.h"
#include "proxy/upstream_pool.h"

namespace prevu::proxy {

class ClientConnection;

class Worker {
 public:
  // `config`, `routes`, `stats` and `pages` must outlive the worker.
  Worker(int index, const ProxyConfig* config, const RouteStore* routes, ThreadStats* stats,
         const ErrorPages* pages, int max_connections);
  ~Worker();

  // Binds this worker's listening socket. Call before Start(), from the owning thread.
  absl::Status Listen(const asio::ip::tcp::endpoint& endpoint);
  uint16_t port() const { return port_; }

  // Starts the worker's thread.
  void Start();

  // Stops accepting, closes idle connections, lets the others finish their current request and
  // closes whatever is left at `deadline`. Thread-safe; returns at once. Join() waits.
  void Drain(std::chrono::steady_clock::time_point deadline);
  void Join();

  // For connections, on the worker's thread only.
  asio::io_context& io() { return io_; }
  const ProxyConfig& config() const { return *config_; }
  RouteReader& routes() { return routes_; }
  UpstreamPool& pool() { return pool_; }
  ThreadStats& stats() { return *stats_; }
  const ErrorPages& pages() const { return *pages_; }
  const HeaderRewriter& rewriter() const { return rewriter_; }
  RequestIdGenerator& ids() { return ids_; }
  bool draining() const { return draining_; }
  // Connection ids say which thread they belong to: 2000000000017 is thread 2's 17th.
  uint64_t NextConnectionId() {
    return static_cast<uint64_t>(index_) * 1000000000000 + ++connections_;
  }
  void OnConnectionClosed(ClientConnection* connection);

 private:
  asio::awaitable<void> Accept();
  asio::awaitable<void> ExpireIdleUpstreams();
  void StartDrain(std::chrono::steady_clock::time_point deadline);

  int index_;
  const ProxyConfig* config_;
  ThreadStats* stats_;
  const ErrorPages* pages_;
  size_t max_connections_;

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer drain_timer_;
  asio::steady_timer expire_timer_;
  uint16_t port_ = 0;
  RouteReader routes_;
  UpstreamPool pool_;
  HeaderRewriter rewriter_;
  RequestIdGenerator ids_;
  absl::flat_hash_set<ClientConnection*> open_;
  bool accepting_ = false;
  bool draining_ = false;
  uint64_t connections_ = 0;
  std::thread thread_;
};

}  // namespace prevu::proxy

// One proxy thread: its own event loop, its own listening sockets on the shared ports (plain and
// TLS; SO_REUSEPORT, so the kernel spreads new connections over the threads), its own upstream
// pool, route reader and metrics. Nothing on the request path is shared with other threads.
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

class AuthGate;
class ChallengeStore;
class CertificateStore;
class ClientConnection;
class ForwardAuthClient;

// What the workers of one ProxyServer share. The server owns it and fills it in before the
// workers start; the workers only read it (the stores are thread-safe).
struct WorkerShared {
  const ProxyConfig* config = nullptr;
  const RouteStore* routes = nullptr;
  const ErrorPages* pages = nullptr;
  CertificateStore* certificates = nullptr;
  const ChallengeStore* challenges = nullptr;  // null: ACME paths are routed like any other
  AuthGate* auth = nullptr;                    // null: no access control at all
  uint16_t https_port = 0;  // the TLS port in redirects to HTTPS; 0 = no TLS listener
};

class Worker {
 public:
  // `shared` and `stats` must outlive the worker.
  Worker(int index, const WorkerShared* shared, ThreadStats* stats, int max_connections);
  ~Worker();

  // Binds this worker's plain (Listen) or TLS (ListenTls) listening socket. Call before Start(),
  // from the owning thread.
  absl::Status Listen(const asio::ip::tcp::endpoint& endpoint);
  absl::Status ListenTls(const asio::ip::tcp::endpoint& endpoint);
  uint16_t port() const { return port_; }
  uint16_t tls_port() const { return tls_port_; }

  // Starts the worker's thread.
  void Start();

  // Stops accepting, closes idle connections, lets the others finish their current request and
  // closes whatever is left at `deadline`. Thread-safe; returns at once. Join() waits.
  void Drain(std::chrono::steady_clock::time_point deadline);
  void Join();

  // For connections, on the worker's thread only.
  asio::io_context& io() { return io_; }
  const ProxyConfig& config() const { return *shared_->config; }
  RouteReader& routes() { return routes_; }
  UpstreamPool& pool() { return pool_; }
  ThreadStats& stats() { return *stats_; }
  const ErrorPages& pages() const { return *shared_->pages; }
  CertificateStore& certificates() const { return *shared_->certificates; }
  const ChallengeStore* challenges() const { return shared_->challenges; }
  uint16_t https_port() const { return shared_->https_port; }
  const HeaderRewriter& rewriter() const { return rewriter_; }
  AuthGate* auth() const { return shared_->auth; }
  // This thread's forward-auth client; null when no forward_url is configured.
  ForwardAuthClient* forward_auth() { return forward_auth_.get(); }
  RequestIdGenerator& ids() { return ids_; }
  bool draining() const { return draining_; }
  // Connection ids say which thread they belong to: 2000000000017 is thread 2's 17th.
  uint64_t NextConnectionId() {
    return static_cast<uint64_t>(index_) * 1000000000000 + ++connections_;
  }
  void OnConnectionClosed(ClientConnection* connection);

 private:
  // One listening socket and whether its accept loop runs (it stops at the connection limit).
  struct Listener {
    explicit Listener(asio::io_context& io) : acceptor(io) {}
    asio::ip::tcp::acceptor acceptor;
    bool accepting = false;
  };

  static absl::Status Bind(Listener& listener, const asio::ip::tcp::endpoint& endpoint,
                           uint16_t* port);
  void StartAccepting(Listener& listener, bool tls);
  asio::awaitable<void> Accept(Listener& listener, bool tls);
  asio::awaitable<void> ExpireIdleUpstreams();
  void StartDrain(std::chrono::steady_clock::time_point deadline);

  int index_;
  const WorkerShared* shared_;
  ThreadStats* stats_;
  size_t max_connections_;

  asio::io_context io_;
  Listener plain_;
  Listener tls_;
  asio::steady_timer drain_timer_;
  asio::steady_timer expire_timer_;
  uint16_t port_ = 0;
  uint16_t tls_port_ = 0;
  RouteReader routes_;
  UpstreamPool pool_;
  HeaderRewriter rewriter_;
  RequestIdGenerator ids_;
  std::unique_ptr<ForwardAuthClient> forward_auth_;
  absl::flat_hash_set<ClientConnection*> open_;
  bool draining_ = false;
  uint64_t connections_ = 0;
  std::thread thread_;
};

}  // namespace prevu::proxy

// The proxy as a whole: the route store, the certificate store, the metrics and one Worker per
// thread, all listening on one plain port and, when configured, one TLS port. This is what
// `prevu serve` and `prevu proxy` create.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "controller/base/metrics.h"
#include "proxy/auth/auth_gate.h"
#include "proxy/error_pages.h"
#include "proxy/proxy_config.h"
#include "proxy/proxy_metrics.h"
#include "proxy/route_store.h"
#include "proxy/tls/certificate_store.h"
#include "proxy/worker.h"

namespace prevu::proxy {

class ChallengeStore;

class ProxyServer {
 public:
  // `registry` may be null; otherwise the proxy's metrics are rendered with it.
  ProxyServer(ProxyConfig config, base::MetricsRegistry* registry);
  ~ProxyServer();  // drains, with the configured deadline, if still running

  // Makes the plain port answer HTTP-01 challenges (RFC 8555 §8.3): a request for
  // /.well-known/acme-challenge/TOKEN, for any host, gets the key authorization `challenges`
  // holds for TOKEN (200, text/plain) or 404, and never reaches a route or the HTTPS redirect.
  // Without a store those paths are routed like any other. Call before Start(); `challenges`
  // must outlive the server.
  void SetChallengeStore(const ChallengeStore* challenges);

  // Binds the listening ports on every thread and starts them. Returns Unavailable with the
  // address when a port cannot be bound, InvalidArgument when an address is not an IP.
  absl::Status Start();

  // The bound ports (useful with port 0). Valid after Start(); tls_port() is 0 without TLS.
  uint16_t port() const { return port_; }
  uint16_t tls_port() const { return tls_port_; }

  // Where routes are published. Thread-safe; valid for the server's lifetime.
  RouteStore* routes() { return &routes_; }

  // Where certificates are installed (also before Start()). Thread-safe; valid for the server's
  // lifetime. A plain request for a host it covers is redirected to HTTPS when TLS listens.
  CertificateStore* certificates() { return &certificates_; }

  const ProxyMetrics& metrics() const { return metrics_; }
  // Access control (config().auth), for its counters. Valid for the server's lifetime.
  const AuthGate& auth() const { return *auth_; }
  const ProxyConfig& config() const { return config_; }

  // Stops accepting, closes idle connections, lets requests in flight finish until
  // config().drain_timeout, then closes the rest and joins the threads. Blocks; call once,
  // from a thread that is not a proxy thread.
  void Drain();

 private:
  absl::Status CheckForwardAuth() const;
  absl::Status ListenEverywhere(const asio::ip::address& address, uint16_t port, bool tls);

  ProxyConfig config_;
  int threads_;
  RouteStore routes_;
  CertificateStore certificates_;
  ErrorPages pages_;
  ProxyMetrics metrics_;
  std::unique_ptr<AuthGate> auth_;
  WorkerShared shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint16_t port_ = 0;
  uint16_t tls_port_ = 0;
  bool running_ = false;
};

}  // namespace prevu::proxy

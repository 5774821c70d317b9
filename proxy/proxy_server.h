// The proxy as a whole: the route store, the metrics and one Worker per thread, all listening on
// one port. This is what `prevu serve` and `prevu proxy` create.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "controller/base/metrics.h"
#include "proxy/error_pages.h"
#include "proxy/proxy_config.h"
#include "proxy/proxy_metrics.h"
#include "proxy/route_store.h"

namespace prevu::proxy {

class Worker;

class ProxyServer {
 public:
  // `registry` may be null; otherwise the proxy's metrics are rendered with it.
  ProxyServer(ProxyConfig config, base::MetricsRegistry* registry);
  ~ProxyServer();  // drains, with the configured deadline, if still running

  // Binds the listening port on every thread and starts them. Returns Unavailable with the
  // address when the port cannot be bound, InvalidArgument when the address is not an IP.
  absl::Status Start();

  // The bound port (useful with listen_port 0). Valid after Start().
  uint16_t port() const { return port_; }

  // Where routes are published. Thread-safe; valid for the server's lifetime.
  RouteStore* routes() { return &routes_; }

  const ProxyMetrics& metrics() const { return metrics_; }
  const ProxyConfig& config() const { return config_; }

  // Stops accepting, closes idle connections, lets requests in flight finish until
  // config().drain_timeout, then closes the rest and joins the threads. Blocks; call once,
  // from a thread that is not a proxy thread.
  void Drain();

 private:
  ProxyConfig config_;
  int threads_;
  RouteStore routes_;
  ErrorPages pages_;
  ProxyMetrics metrics_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint16_t port_ = 0;
  bool running_ = false;
};

}  // namespace prevu::proxy

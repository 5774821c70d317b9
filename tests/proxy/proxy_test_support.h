// A proxy started on 127.0.0.1 with port 0 for a test, and the routes it serves.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "proxy/proxy_server.h"

namespace prevu::proxy::testing {

// A ready route from `host` to 127.0.0.1:`port`.
inline Route ReadyRoute(const std::string& host, uint16_t port) {
  Route route;
  route.host = host;
  route.ready = true;
  route.upstream_host = "127.0.0.1";
  route.upstream_port = port;
  return route;
}

class ProxyFixture : public ::testing::Test {
 protected:
  ~ProxyFixture() override {
    if (server_ != nullptr) {
      server_->Drain();
    }
  }

  // Starts the proxy with `config`, except that it listens on 127.0.0.1, port 0.
  void StartProxy(ProxyConfig config = ProxyConfig()) {
    config.listen_host = "127.0.0.1";
    config.listen_port = 0;
    if (config.threads == 0) {
      config.threads = 2;
    }
    config.drain_timeout = absl::Seconds(5);
    server_ = std::make_unique<ProxyServer>(config, &registry_);
    absl::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  uint16_t port() const { return server_->port(); }

  base::MetricsRegistry registry_;
  std::unique_ptr<ProxyServer> server_;
};

}  // namespace prevu::proxy::testing

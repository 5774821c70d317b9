// `prevu serve`: the api, the reconciler and the proxy in one process. The reconciler publishes
// routes straight into the proxy's table, and the proxy serves the apex host (`[proxy] domain`
// itself) by forwarding to the api, so one public port is enough.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "controller/config/host_config.h"

namespace prevu::controller {

class Service {
 public:
  // `config_path` is empty for the built-in defaults. Nothing runs until Start().
  Service(HostConfig config, std::string config_path);
  ~Service();

  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Opens the store, binds the api and proxy ports and starts the reconcile loop. Errors say
  // what to fix: a state directory in use or unwritable, a port that cannot be bound.
  absl::Status Start();

  // Drains the proxy, stops the loop and the api. Preview containers keep running, and are
  // adopted by the next start. Idempotent.
  void Stop();

  // Reads the configuration file again and swaps in what may change while running (secrets, the
  // allow-list, access control, resource limits, the reconcile interval); keys that need a
  // restart keep their running value and are logged. An invalid file changes nothing and its
  // problems are returned. Thread-safe.
  absl::Status Reload();

  // The ports actually bound (useful when the configuration asked for port 0).
  int api_port() const;
  int proxy_port() const;
  int tls_port() const;  // 0 without TLS

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Runs `prevu serve [--config FILE] [--log-level LEVEL]` until SIGTERM or SIGINT. `args` are
// the arguments after `serve`. Returns the process exit status: 0 after a clean stop, 1 when
// the configuration is invalid or Prevu cannot start, 2 on a usage error.
int RunServe(int argc, char** argv);

}  // namespace prevu::controller

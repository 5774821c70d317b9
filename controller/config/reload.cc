// Reload planning; see reload.h.
#include "controller/config/reload.h"

#include <optional>
#include <utility>

namespace prevu::controller {
namespace {

// Keeps `running`'s value of a fixed key in `next`, noting the key when the file changed it.
template <typename T>
void KeepFixed(const char* name, const T& running, T& next, std::vector<std::string>& restart) {
  if (!(running == next)) {
    restart.emplace_back(name);
    next = running;
  }
}

// Secrets compare by value; an absent one differs from any present one.
void KeepFixed(const char* name, const std::optional<Secret>& running, std::optional<Secret>& next,
               std::vector<std::string>& restart) {
  bool same = running.has_value() == next.has_value() &&
              (!running.has_value() || running->reveal() == next->reveal());
  if (!same) {
    restart.emplace_back(name);
    next = running;
  }
}

}  // namespace

ReloadPlan PlanReload(const HostConfig& running, HostConfig next) {
  ReloadPlan plan;
  std::vector<std::string>& restart = plan.restart;
  KeepFixed("[api] listen", running.api.listen, next.api.listen, restart);
  KeepFixed("[proxy] listen", running.proxy.listen, next.proxy.listen, restart);
  KeepFixed("[proxy] domain", running.proxy.domain, next.proxy.domain, restart);
  KeepFixed("[proxy] host_template", running.proxy.host_template, next.proxy.host_template,
            restart);
  KeepFixed("[proxy] threads", running.proxy.threads, next.proxy.threads, restart);
  KeepFixed("[proxy] noindex", running.proxy.noindex, next.proxy.noindex, restart);
  KeepFixed("[state] dir", running.state.dir, next.state.dir, restart);
  KeepFixed("[docker] socket", running.docker.socket, next.docker.socket, restart);
  KeepFixed("[docker] instance", running.docker.instance, next.docker.instance, restart);
  KeepFixed("[reconcile] max_parallel_builds", running.reconcile.max_parallel_builds,
            next.reconcile.max_parallel_builds, restart);
  KeepFixed("[tls] enabled", running.tls.enabled, next.tls.enabled, restart);
  KeepFixed("[tls] listen", running.tls.listen, next.tls.listen, restart);
  KeepFixed("[tls] cert_file", running.tls.cert_file, next.tls.cert_file, restart);
  KeepFixed("[tls] key_file", running.tls.key_file, next.tls.key_file, restart);
  KeepFixed("[tls] acme_directory", running.tls.acme_directory, next.tls.acme_directory, restart);
  KeepFixed("[tls] acme_email", running.tls.acme_email, next.tls.acme_email, restart);
  KeepFixed("[tls] acme_ca_file", running.tls.acme_ca_file, next.tls.acme_ca_file, restart);
  // The proxy builds its access control once, at start.
  KeepFixed("[auth] mode", running.auth.mode, next.auth.mode, restart);
  KeepFixed("[auth] password", running.auth.password, next.auth.password, restart);
  KeepFixed("[auth] forward_url", running.auth.forward_url, next.auth.forward_url, restart);
  KeepFixed("[auth] forward_response_headers", running.auth.forward_response_headers,
            next.auth.forward_response_headers, restart);
  KeepFixed("[auth] bypass_token", running.auth.bypass_token, next.auth.bypass_token, restart);
  KeepFixed("[auth] cookie_ttl", running.auth.cookie_ttl, next.auth.cookie_ttl, restart);
  plan.config = std::move(next);
  return plan;
}

}  // namespace prevu::controller

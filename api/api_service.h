// Everything the control-plane HTTP server answers: the webhook receivers, the status API, the
// dashboard page, /healthz, /readyz and /metrics. It routes a request value to a response value
// and never touches a socket; HttpServer carries it.
#pragma once

#include <functional>

#include "absl/status/status.h"
#include "api/admin_api.h"
#include "api/http_handler.h"
#include "api/status_api.h"
#include "api/webhook_receiver.h"
#include "controller/base/clock.h"
#include "controller/base/metrics.h"
#include "controller/config/config_holder.h"
#include "controller/desired_store.h"

namespace prevu::api {

// OK when Prevu can do its work; otherwise a status whose message says what is wrong ("docker
// unreachable: ..."). Called on every GET /readyz, from the server's threads.
using ReadinessCheck = std::function<absl::Status()>;

class ApiService : public HttpHandler {
 public:
  // `config`, `store`, `metrics` and `clock` must outlive the service, and `store` must outlive
  // `metrics` renders too: a collector of previews by phase is registered in `metrics`. A null
  // `readiness` means always ready.
  ApiService(const controller::ConfigHolder* config, controller::DesiredStore* store,
             base::MetricsRegistry* metrics, const base::Clock* clock, ReadinessCheck readiness);

  // Thread-safe.
  HttpResponse Handle(const HttpRequest& request) override;
  void OnRefused(const HttpRequest& request, const HttpResponse& response) override;

 private:
  HttpResponse Readiness() const;

  base::MetricsRegistry* const metrics_;
  ReadinessCheck readiness_;
  WebhookReceiver receiver_;
  StatusApi status_;
  AdminApi admin_;
};

}  // namespace prevu::api

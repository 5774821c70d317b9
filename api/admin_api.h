// The mutating API, for operators and scripts holding the admin token (`[api] admin_token`):
// redeploy one preview, delete one preview. Both only write desired state; the reconciler does
// the work, as for a webhook.
#pragma once

#include <optional>

#include "absl/strings/string_view.h"
#include "api/http_request.h"
#include "api/http_response.h"
#include "controller/config/config_holder.h"
#include "controller/desired_store.h"

namespace prevu::api {

// Thread-safe.
class AdminApi {
 public:
  // `config` and `store` must outlive this object. The token is read from `config` per request,
  // so a reload that changes it applies at once.
  AdminApi(const controller::ConfigHolder* config, controller::DesiredStore* store)
      : config_(config), store_(store) {}

  // True for requests this API answers: POST .../{number}/redeploy and DELETE .../{number}.
  static bool Handles(const HttpRequest& request, absl::string_view rest);

  // `rest` is the path after "/api/v1/previews/". Answers:
  // - 401 with `WWW-Authenticate: Bearer` without `Authorization: Bearer <admin token>`;
  // - 403 when no admin token is configured (the mutating API is then off);
  // - 404 for an unknown preview, 409 for redeploying a closed one;
  // - 202 with the preview's JSON once the change is durable.
  HttpResponse Handle(const HttpRequest& request, absl::string_view rest);

 private:
  // The 401 or 403 answer for a request without the right token; nothing when it may pass.
  std::optional<HttpResponse> Refusal(const HttpRequest& request) const;

  const controller::ConfigHolder* const config_;
  controller::DesiredStore* const store_;
};

}  // namespace prevu::api

// The mutating API; see admin_api.h.
#include "api/admin_api.h"

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/preview_path.h"
#include "api/status_api.h"
#include "api/webhook_signature.h"
#include "controller/base/log.h"
#include "nlohmann/json.hpp"

namespace prevu::api {
namespace {

constexpr absl::string_view kBearer = "Bearer ";

}  // namespace

bool AdminApi::Handles(const HttpRequest& request, absl::string_view rest) {
  if (request.method == "DELETE") {
    return true;
  }
  return request.method == "POST" && absl::EndsWith(rest, "/redeploy");
}

std::optional<HttpResponse> AdminApi::Refusal(const HttpRequest& request) const {
  std::shared_ptr<const controller::HostConfig> config = config_->Get();
  const std::optional<controller::Secret>& token = config->api.admin_token;
  if (!token || token->empty()) {
    return HttpResponse::Error(403,
                               "the mutating API is off: set PREVU_ADMIN_TOKEN (or [api] "
                               "admin_token in prevu.toml) and send it as a bearer token");
  }

  // RFC 6750 section 2.1: "Bearer" is case-insensitive, the token follows one space.
  absl::string_view given = request.Header("authorization");
  bool bearer = given.size() > kBearer.size() && absl::StartsWithIgnoreCase(given, kBearer);
  if (!bearer || !ConstantTimeEquals(given.substr(kBearer.size()), token->reveal())) {
    HttpResponse response = HttpResponse::Error(
        401, "send the admin token as `Authorization: Bearer <token>` to change previews");
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"prevu\"");
    return response;
  }
  return std::nullopt;
}

HttpResponse AdminApi::Handle(const HttpRequest& request, absl::string_view rest) {
  if (std::optional<HttpResponse> refused = Refusal(request)) {
    return *std::move(refused);
  }

  bool redeploy = request.method == "POST";
  absl::StatusOr<PreviewPath> path = ParsePreviewPath(rest, {"redeploy"});
  if (!path.ok()) {
    return HttpResponse::Error(404, path.status().message());
  }
  if (redeploy != (path->action == "redeploy")) {
    return HttpResponse::Error(404, absl::StrCat("no such path: /api/v1/previews/", rest));
  }

  absl::StatusOr<controller::WriteResult> written =
      redeploy ? store_->Redeploy(path->key) : store_->Close(path->key);
  if (absl::IsNotFound(written.status())) {
    return NoSuchPreview(path->key.ToString());
  }
  if (absl::IsFailedPrecondition(written.status())) {
    return HttpResponse::Error(
        409, absl::StrCat(path->key.ToString(), " is closed; only an open preview is redeployed"));
  }
  if (!written.ok()) {
    return HttpResponse::Error(
        500, absl::StrCat("the desired store refused the change: ", written.status().message()));
  }

  log::Info(redeploy ? "preview redeploy requested" : "preview delete requested")
      .With("preview", path->key.ToString())
      .With("generation", written->generation);
  std::optional<controller::Preview> preview = store_->Get(path->key);
  if (!preview) {  // forgotten in between by the reconciler: the delete is done
    return HttpResponse::Json(202, {{"key", path->key.ToString()}, {"state", "closed"}});
  }
  return HttpResponse::Json(202, controller::PreviewToJson(*preview));
}

}  // namespace prevu::api

// The status API; see status_api.h.
#include "api/status_api.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "api/preview_path.h"
#include "nlohmann/json.hpp"

namespace prevu::api {

HttpResponse NoSuchPreview(absl::string_view what) {
  return HttpResponse::Error(
      404, absl::StrCat("no preview ", what, "; list them with GET /api/v1/previews"));
}

HttpResponse StatusApi::List() const {
  nlohmann::json previews = nlohmann::json::array();
  for (const controller::Preview& preview : store_->List()) {
    previews.push_back(controller::PreviewToJson(preview));
  }
  return HttpResponse::Json(200, {{"previews", std::move(previews)}});
}

HttpResponse StatusApi::Get(absl::string_view rest) const {
  absl::StatusOr<PreviewPath> path = ParsePreviewPath(rest, {"logs"});
  if (!path.ok()) {
    return HttpResponse::Error(404, path.status().message());
  }
  std::optional<controller::Preview> preview = store_->Get(path->key);
  if (!preview) {
    return NoSuchPreview(path->key.ToString());
  }
  if (path->action == "logs") {
    return HttpResponse::Text(200, preview->status.log_tail);
  }
  return HttpResponse::Json(200, controller::PreviewToJson(*preview));
}

}  // namespace prevu::api

// The read-only status API: GET /api/v1/previews, one preview by key, and its log tail. The JSON
// of a preview is controller::PreviewToJson, whose field names are the API contract.
#pragma once

#include "absl/strings/string_view.h"
#include "api/http_response.h"
#include "controller/desired_store.h"

namespace prevu::api {

// Thread-safe: it only reads the store.
// 404 `{"error": "no preview <what>; list them with GET /api/v1/previews"}`.
HttpResponse NoSuchPreview(absl::string_view what);

class StatusApi {
 public:
  // `store` must outlive this object.
  explicit StatusApi(const controller::DesiredStore* store) : store_(store) {}

  // 200 `{"previews": [...]}`, ordered by key.
  HttpResponse List() const;

  // `rest` is the path after "/api/v1/previews/", percent-encoded as sent:
  // "{provider}/{repo path}/{number}" answers the preview, and ".../{number}/logs" its log tail
  // as text/plain. The repository path may hold slashes: the number is the last segment. 404
  // with a JSON error for a path that names no preview.
  HttpResponse Get(absl::string_view rest) const;

 private:
  const controller::DesiredStore* const store_;
};

}  // namespace prevu::api

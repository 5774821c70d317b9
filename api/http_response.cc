// Constructors of common responses; see http_response.h.
#include "api/http_response.h"

#include "controller/base/strings.h"
#include "nlohmann/json.hpp"

namespace prevu::api {

HttpResponse HttpResponse::Json(int status, const nlohmann::json& body) {
  HttpResponse response;
  response.status = status;
  // Replacement instead of an exception: payload text echoed in a message may be invalid UTF-8.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.body.push_back('\n');
  return response;
}

HttpResponse HttpResponse::Error(int status, absl::string_view message) {
  return Json(status, {{"error", ToStd(message)}});
}

HttpResponse HttpResponse::Text(int status, absl::string_view text,
                                absl::string_view content_type) {
  HttpResponse response;
  response.status = status;
  response.content_type = std::string(content_type);
  response.body = std::string(text);
  return response;
}

}  // namespace prevu::api

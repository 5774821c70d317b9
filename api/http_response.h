// An HTTP response as a plain value: what a handler answers, before the server writes it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json_fwd.hpp"

namespace prevu::api {

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type and length

  // `body` serialised as JSON, followed by a newline.
  static HttpResponse Json(int status, const nlohmann::json& body);

  // `{"error": message}`: every error the API answers has this shape.
  static HttpResponse Error(int status, absl::string_view message);

  static HttpResponse Text(int status, absl::string_view text,
                           absl::string_view content_type = "text/plain; charset=utf-8");
};

}  // namespace prevu::api

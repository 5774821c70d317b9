// See docker_error.h.
#include "reconciler/docker/docker_error.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "controller/base/strings.h"
#include "nlohmann/json.hpp"

namespace prevu::reconciler::docker {
namespace {

constexpr size_t kMaxMessage = 2048;

std::string MessageOf(absl::string_view body) {
  nlohmann::json parsed = nlohmann::json::parse(ToStd(body), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) {
    auto it = parsed.find("message");
    if (it != parsed.end() && it->is_string()) {
      return it->get<std::string>();
    }
  }

  // Not the usual JSON: the daemon (or a proxy in front of it) answered with text.
  std::string text(absl::StripAsciiWhitespace(body.substr(0, kMaxMessage)));
  return text.empty() ? "no error message" : text;
}

absl::StatusCode CodeOf(int http_status) {
  switch (http_status) {
    case 400:
      return absl::StatusCode::kInvalidArgument;
    case 401:
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 409:
      return absl::StatusCode::kAlreadyExists;
    case 500:
      return absl::StatusCode::kInternal;
    case 502:
    case 503:
    case 504:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kUnknown;
  }
}

}  // namespace

absl::Status DockerError(int http_status, absl::string_view body, absl::string_view what) {
  return absl::Status(CodeOf(http_status), absl::StrCat(what, ": ", MessageOf(body)));
}

}  // namespace prevu::reconciler::docker

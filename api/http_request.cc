// Header lookup and path splitting for HttpRequest; see http_request.h.
#include "api/http_request.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace prevu::api {

void HttpRequest::AddHeader(absl::string_view name, absl::string_view value) {
  headers.emplace_back(absl::AsciiStrToLower(name), std::string(value));
}

absl::string_view HttpRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return "";
}

absl::string_view HttpRequest::Path() const {
  absl::string_view path = target;
  size_t query = path.find('?');
  return query == absl::string_view::npos ? path : path.substr(0, query);
}

}  // namespace prevu::api

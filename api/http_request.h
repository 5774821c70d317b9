// An HTTP request as a plain value, so that routing and webhook handling can be tested without
// sockets. The server fills it from the wire; tests build it directly.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace prevu::api {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // the request target as sent: a path and an optional query
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case, in order
  std::string body;                                          // the raw bytes, never re-encoded

  // Appends a header; the name is stored in lower case.
  void AddHeader(absl::string_view name, absl::string_view value);

  // The value of the first header with this name (any case), or "" when there is none.
  absl::string_view Header(absl::string_view name) const;

  // The target without its query string.
  absl::string_view Path() const;
};

}  // namespace prevu::api

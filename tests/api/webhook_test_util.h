// Building signed webhook requests as GitHub and GitLab send them, and reading counters back
// from a metrics registry, for the api's tests and the webhook benchmark.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/http_request.h"
#include "api/webhook_signature.h"
#include "controller/base/metrics.h"

namespace prevu::api::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The headers of a GitHub delivery, signed with `secret`.
inline Headers GitHubHeaders(const std::string& secret, const std::string& event,
                             const std::string& delivery, const std::string& body) {
  return {{"Content-Type", "application/json"},
          {"X-GitHub-Event", event},
          {"X-GitHub-Delivery", delivery},
          {"X-Hub-Signature-256",
           absl::StrCat("sha256=", absl::BytesToHexString(HmacSha256(secret, body)))}};
}

// The headers of a GitLab merge request delivery carrying `token`.
inline Headers GitLabHeaders(const std::string& token, const std::string& uuid) {
  return {{"Content-Type", "application/json"},
          {"X-Gitlab-Event", "Merge Request Hook"},
          {"X-Gitlab-Event-UUID", uuid},
          {"X-Gitlab-Token", token}};
}

inline HttpRequest PostRequest(const std::string& path, const Headers& headers, std::string body) {
  HttpRequest request;
  request.method = "POST";
  request.target = path;
  for (const auto& [name, value] : headers) {
    request.AddHeader(name, value);
  }
  request.body = std::move(body);
  return request;
}

// The value of the sample `name{labels}` in the registry's exposition, or -1 when absent.
inline int64_t Sample(const base::MetricsRegistry& metrics, const std::string& name_and_labels) {
  std::string text = metrics.Render();
  std::string prefix = absl::StrCat("\n", name_and_labels, " ");
  size_t at = ("\n" + text).find(prefix);
  if (at == std::string::npos) {
    return -1;
  }
  size_t start = at + prefix.size() - 1;
  int64_t value = -1;
  (void)absl::SimpleAtoi(text.substr(start, text.find('\n', start) - start), &value);
  return value;
}

inline int64_t Deliveries(const base::MetricsRegistry& metrics, const std::string& provider,
                          const std::string& result) {
  return Sample(metrics, absl::StrCat("prevu_webhook_deliveries_total{provider=\"", provider,
                                      "\",result=\"", result, "\"}"));
}

}  // namespace prevu::api::testing

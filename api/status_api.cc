// The status API; see status_api.h.
#include "api/status_api.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace prevu::api {
namespace {

int HexValue(char c) {
  if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
    return c - '0';
  }
  return absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10;
}

// Undoes percent-encoding (RFC 3986 section 2.1); nullopt for a malformed escape.
std::optional<std::string> PercentDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size() || !absl::ascii_isxdigit(static_cast<unsigned char>(text[i + 1])) ||
        !absl::ascii_isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
    i += 2;
  }
  return out;
}

// "github/acme/shop/12" → github/acme/shop#12; nullopt when the path cannot name a preview.
std::optional<controller::PreviewKey> KeyFromSegments(const std::vector<std::string>& segments) {
  // A repository path has at least two segments on both forges: owner/name, group/project.
  if (segments.size() < 4) {
    return std::nullopt;
  }
  std::optional<controller::Provider> provider = controller::ParseProvider(segments.front());
  controller::PreviewKey key;
  if (!provider || !absl::SimpleAtoi(segments.back(), &key.number) || key.number <= 0) {
    return std::nullopt;
  }
  key.provider = *provider;
  key.repo = absl::StrJoin(segments.begin() + 1, segments.end() - 1, "/");
  return key;
}

HttpResponse NoSuchPreview(absl::string_view what) {
  return HttpResponse::Error(
      404, absl::StrCat("no preview ", what, "; list them with GET /api/v1/previews"));
}

}  // namespace

HttpResponse StatusApi::List() const {
  nlohmann::json previews = nlohmann::json::array();
  for (const controller::Preview& preview : store_->List()) {
    previews.push_back(controller::PreviewToJson(preview));
  }
  return HttpResponse::Json(200, {{"previews", std::move(previews)}});
}

HttpResponse StatusApi::Get(absl::string_view rest) const {
  // Decoding before splitting lets a client encode a nested repository path as one segment
  // ("platform%2Fweb"): no segment of a repository path may hold a '/' itself.
  std::optional<std::string> decoded = PercentDecode(rest);
  if (!decoded) {
    return HttpResponse::Error(404, absl::StrCat("`", rest, "` holds a malformed %-escape"));
  }
  std::vector<std::string> segments = absl::StrSplit(*decoded, '/', absl::SkipEmpty());
  bool logs = segments.size() > 4 && segments.back() == "logs";
  if (logs) {
    segments.pop_back();
  }

  std::optional<controller::PreviewKey> key = KeyFromSegments(segments);
  if (!key) {
    return NoSuchPreview(
        absl::StrCat("at `", rest, "`; the path is {provider}/{repo path}/{number}"));
  }
  std::optional<controller::Preview> preview = store_->Get(*key);
  if (!preview) {
    return NoSuchPreview(key->ToString());
  }
  if (logs) {
    return HttpResponse::Text(200, preview->status.log_tail);
  }
  return HttpResponse::Json(200, controller::PreviewToJson(*preview));
}

}  // namespace prevu::api

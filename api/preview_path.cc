// Preview paths of the API; see preview_path.h.
#include "api/preview_path.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

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

// "github/acme/shop/12" → github/acme/shop#12; nullopt when the segments cannot name a preview.
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

}  // namespace

absl::StatusOr<PreviewPath> ParsePreviewPath(absl::string_view rest,
                                             std::initializer_list<absl::string_view> actions) {
  // Decoding before splitting lets a client encode a nested repository path as one segment
  // ("platform%2Fweb"): no segment of a repository path may hold a '/' itself.
  std::optional<std::string> decoded = PercentDecode(rest);
  if (!decoded) {
    return absl::NotFoundError(absl::StrCat("`", rest, "` holds a malformed %-escape"));
  }
  std::vector<std::string> segments = absl::StrSplit(*decoded, '/', absl::SkipEmpty());

  PreviewPath path;
  if (segments.size() > 4) {
    for (absl::string_view action : actions) {
      if (segments.back() == action) {
        path.action = std::string(action);
        segments.pop_back();
        break;
      }
    }
  }
  std::optional<controller::PreviewKey> key = KeyFromSegments(segments);
  if (!key) {
    return absl::NotFoundError(
        absl::StrCat("no preview at `", rest, "`; the path is {provider}/{repo path}/{number}"));
  }
  path.key = *std::move(key);
  return path;
}

}  // namespace prevu::api

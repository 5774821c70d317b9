// See image_tag.h. Docker's reference grammar: a path component is
// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*, components are joined by "/".
#include "reconciler/build/image_tag.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace prevu::reconciler::build {
namespace {

constexpr size_t kMaxNameLength = 200;  // Docker allows 255 for the whole name with the prefix

std::string SanitizeComponent(absl::string_view component) {
  std::string out;
  bool pending_separator = false;
  for (char c : component) {
    char lower = absl::ascii_tolower(c);
    if (absl::ascii_isalnum(lower)) {
      if (pending_separator && !out.empty()) {
        out.push_back('-');
      }
      pending_separator = false;
      out.push_back(lower);
    } else {
      pending_separator = true;
    }
  }
  return out;
}

}  // namespace

std::string SanitizeImageName(absl::string_view repo) {
  std::vector<std::string> components;
  for (absl::string_view part : absl::StrSplit(repo, '/')) {
    std::string component = SanitizeComponent(part);
    if (!component.empty()) {
      components.push_back(std::move(component));
    }
  }
  std::string name = components.empty() ? "unnamed" : absl::StrJoin(components, "/");
  if (name.size() > kMaxNameLength) {
    name.resize(kMaxNameLength);
    while (!name.empty() && !absl::ascii_isalnum(name.back())) {
      name.pop_back();
    }
  }
  return name;
}

std::string ImageTag(absl::string_view repo, int64_t number, absl::string_view sha) {
  return absl::StrCat("prevu/", SanitizeImageName(repo), ":", number, "-", sha.substr(0, 12));
}

}  // namespace prevu::reconciler::build

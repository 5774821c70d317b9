// The part of an API path that names one preview: "{provider}/{repo path}/{number}", where the
// repository path may hold slashes (nested GitLab groups) or be percent-encoded as one segment,
// optionally followed by an action ("logs", "redeploy").
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "controller/preview.h"

namespace prevu::api {

struct PreviewPath {
  controller::PreviewKey key;
  std::string action;  // "" for the preview itself
};

// Parses `rest`, the path after "/api/v1/previews/", as sent (percent-encoded). A last segment
// that is one of `actions` (a list such as {"logs"}) is taken as the action. NotFound, with a
// sentence saying what a valid path looks like, when the path names no preview.
absl::StatusOr<PreviewPath> ParsePreviewPath(absl::string_view rest,
                                             std::initializer_list<absl::string_view> actions);

}  // namespace prevu::api

// Turns a GitLab delivery (the X-Gitlab-Event header and the JSON body) into a WebhookEvent.
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/webhook_event.h"

namespace prevu::api {

// `event` is the X-Gitlab-Event header. `Merge Request Hook` with action open, reopen or update
// is kUpsert (the store bumps the generation only when `update` brought a new commit), close or
// merge is kClose; any other event or action (approved, unapproved, ...) is kIgnore with the
// reason. The repository is project.path_with_namespace, which may be a nested group path; the
// number is the merge request's iid. InvalidArgument names every missing or malformed field.
absl::StatusOr<WebhookEvent> ParseGitLabEvent(absl::string_view event, absl::string_view body);

}  // namespace prevu::api

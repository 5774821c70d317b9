// GitLab merge request payloads; see gitlab_event.h. Field names follow GitLab's documentation
// of merge request webhook events.
#include "api/gitlab_event.h"

#include "absl/strings/str_cat.h"

namespace prevu::api {
namespace {

WebhookEvent::Kind KindOfAction(absl::string_view action) {
  if (action == "open" || action == "reopen" || action == "update") {
    return WebhookEvent::Kind::kUpsert;
  }
  if (action == "close" || action == "merge") {
    return WebhookEvent::Kind::kClose;
  }
  return WebhookEvent::Kind::kIgnore;
}

// The target project's URL: a fork's commits are fetched from it as refs/merge-requests/N/head.
constexpr RequestEventFields kFields = {
    .provider = controller::Provider::kGitLab,
    .action = "object_attributes.action",
    .repo = "project.path_with_namespace",
    .number = "object_attributes.iid",
    .clone_url = "project.git_http_url",
    .head_sha = "object_attributes.last_commit.id",
    .head_ref = "object_attributes.source_branch",
    .base_ref = "object_attributes.target_branch",
    .title = "object_attributes.title",
    .author = "user.username",
    .state = "object_attributes.state",
    .open_state = "opened",
    .kind_of_action = &KindOfAction,
};

}  // namespace

absl::StatusOr<WebhookEvent> ParseGitLabEvent(absl::string_view event, absl::string_view body) {
  if (event.empty()) {
    return absl::InvalidArgumentError("missing X-Gitlab-Event header");
  }
  if (event != "Merge Request Hook") {
    return IgnoredEvent("", absl::StrCat("event `", event,
                                         "` is not handled; Prevu acts on `Merge Request Hook` "
                                         "only"));
  }
  return ReadRequestEvent(body, kFields);
}

}  // namespace prevu::api

// GitHub pull_request payloads; see github_event.h. Field names follow GitHub's documentation of
// the `pull_request` webhook event.
#include "api/github_event.h"

#include "absl/strings/str_cat.h"

namespace prevu::api {
namespace {

WebhookEvent::Kind KindOfAction(absl::string_view action) {
  if (action == "opened" || action == "reopened" || action == "synchronize" || action == "edited") {
    return WebhookEvent::Kind::kUpsert;
  }
  return action == "closed" ? WebhookEvent::Kind::kClose : WebhookEvent::Kind::kIgnore;
}

// The base repository's clone URL, not the head's: a fork's commits are fetched from the base
// through refs/pull/N/head, which needs no access to the fork.
constexpr RequestEventFields kFields = {
    .provider = controller::Provider::kGitHub,
    .action = "action",
    .repo = "repository.full_name",
    .number = "number",
    .clone_url = "pull_request.base.repo.clone_url",
    .head_sha = "pull_request.head.sha",
    .head_ref = "pull_request.head.ref",
    .base_ref = "pull_request.base.ref",
    .title = "pull_request.title",
    .author = "pull_request.user.login",
    .state = "pull_request.state",
    .open_state = "open",
    .kind_of_action = &KindOfAction,
};

}  // namespace

absl::StatusOr<WebhookEvent> ParseGitHubEvent(absl::string_view event, absl::string_view body) {
  if (event.empty()) {
    return absl::InvalidArgumentError("missing X-GitHub-Event header");
  }
  if (event == "ping") {
    WebhookEvent ping;
    ping.kind = WebhookEvent::Kind::kPing;
    return ping;
  }
  if (event != "pull_request") {
    return IgnoredEvent(
        "", absl::StrCat("event `", event, "` is not handled; Prevu acts on `pull_request` only"));
  }
  return ReadRequestEvent(body, kFields);
}

}  // namespace prevu::api

// Turns a GitHub delivery (the X-GitHub-Event header and the JSON body) into a WebhookEvent.
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/webhook_event.h"

namespace prevu::api {

// `event` is the X-GitHub-Event header. `ping` is kPing; `pull_request` with action opened,
// reopened, synchronize or edited is kUpsert, closed (merged or not) is kClose; any other event
// or action is kIgnore with the reason. The clone URL is the base repository's: the fetcher
// reads a fork's commits from it through refs/pull/N/head. InvalidArgument names every missing
// or malformed field (`pull_request.head.sha`), or says that the body is not JSON.
absl::StatusOr<WebhookEvent> ParseGitHubEvent(absl::string_view event, absl::string_view body);

}  // namespace prevu::api

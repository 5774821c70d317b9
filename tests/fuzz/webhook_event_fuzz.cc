// Fuzzes the GitHub and GitLab event parsers. Input: the event header (X-GitHub-Event or
// X-Gitlab-Event) on the first line, the body after it; both parsers read every input. An event
// that reaches the store must name a preview whose key survives its text form, and an upsert
// must carry a commit id and clone URL that are safe to hand to git.
#include <string>

#include "api/github_event.h"
#include "api/gitlab_event.h"
#include "tests/fuzz/fuzz_support.h"

namespace prevu::api {
namespace {

void CheckEvent(const absl::StatusOr<WebhookEvent>& event, controller::Provider provider) {
  if (!event.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(event.status()) && !event.status().message().empty());
    return;
  }
  switch (event->kind) {
    case WebhookEvent::Kind::kIgnore:
      FUZZ_CHECK(!event->reason.empty());
      return;
    case WebhookEvent::Kind::kPing:
      return;
    case WebhookEvent::Kind::kUpsert:
    case WebhookEvent::Kind::kClose:
      break;
  }

  const controller::PreviewKey& key = event->key;
  FUZZ_CHECK(key.provider == provider && key.number > 0 && !key.repo.empty());
  absl::StatusOr<controller::PreviewKey> reparsed = controller::PreviewKey::Parse(key.ToString());
  FUZZ_CHECK(reparsed.ok() && *reparsed == key);
  if (event->kind != WebhookEvent::Kind::kUpsert) {
    return;
  }

  const controller::SpecUpdate& update = event->update;
  FUZZ_CHECK(fuzz::IsCommitId(update.head_sha));
  // git must never read the URL as an option.
  FUZZ_CHECK(!update.clone_url.empty() && update.clone_url[0] != '-');
}

}  // namespace
}  // namespace prevu::api

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  prevu::fuzz::FuzzInput input(data, size);
  std::string event(input.Line());
  std::string body(input.Rest());

  prevu::api::CheckEvent(prevu::api::ParseGitHubEvent(event, body),
                         prevu::controller::Provider::kGitHub);
  prevu::api::CheckEvent(prevu::api::ParseGitLabEvent(event, body),
                         prevu::controller::Provider::kGitLab);
  return 0;
}

// Reading request events from payloads; see webhook_event.h.
#include "api/webhook_event.h"

#include "absl/strings/str_cat.h"
#include "api/payload_reader.h"

namespace prevu::api {

WebhookEvent IgnoredEvent(absl::string_view action, std::string reason) {
  WebhookEvent event;
  event.kind = WebhookEvent::Kind::kIgnore;
  event.action = std::string(action);
  event.reason = std::move(reason);
  return event;
}

absl::StatusOr<WebhookEvent> ReadRequestEvent(absl::string_view body,
                                              const RequestEventFields& fields) {
  absl::StatusOr<PayloadReader> reader = PayloadReader::Parse(
      body, {fields.action, fields.repo, fields.number, fields.clone_url, fields.head_sha,
             fields.head_ref, fields.base_ref, fields.title, fields.author, fields.state});
  if (!reader.ok()) {
    return reader.status();
  }
  WebhookEvent result;
  reader->Take(reader->String(fields.action), &result.action);
  if (absl::Status status = reader->Problems(); !status.ok()) {
    return status;
  }
  result.kind = fields.kind_of_action(result.action);
  if (result.kind == WebhookEvent::Kind::kIgnore) {
    return IgnoredEvent(result.action, absl::StrCat("action `", result.action,
                                                    "` does not change what a preview runs"));
  }

  std::string state;
  reader->Take(reader->OptionalString(fields.state), &state);
  if (result.kind == WebhookEvent::Kind::kUpsert && !state.empty() && state != fields.open_state) {
    return IgnoredEvent(result.action, absl::StrCat("the request is ", state, "; `", result.action,
                                                    "` does not reopen its preview"));
  }

  result.key.provider = fields.provider;
  reader->Take(reader->RepoPath(fields.repo), &result.key.repo);
  reader->Take(reader->PositiveInt(fields.number), &result.key.number);
  if (result.kind == WebhookEvent::Kind::kUpsert) {
    controller::SpecUpdate& update = result.update;
    reader->Take(reader->CloneUrl(fields.clone_url), &update.clone_url);
    reader->Take(reader->CommitSha(fields.head_sha), &update.head_sha);
    reader->Take(reader->String(fields.head_ref), &update.head_ref);
    reader->Take(reader->String(fields.base_ref), &update.base_ref);
    reader->Take(reader->OptionalString(fields.title), &update.title);
    reader->Take(reader->OptionalString(fields.author), &update.author);
  }
  if (absl::Status status = reader->Problems(); !status.ok()) {
    return status;
  }
  return result;
}

}  // namespace prevu::api

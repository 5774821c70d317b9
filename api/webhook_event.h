// What a webhook delivery asks of the desired store, decided from its event name and payload
// alone. Each forge's receiver turns its payload into one of these; applying it is common.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "controller/desired_store.h"
#include "controller/preview.h"

namespace prevu::api {

struct WebhookEvent {
  enum class Kind {
    kUpsert,  // an open request with this content: Upsert(key, update)
    kClose,   // closed or merged: Close(key)
    kPing,    // the forge checks that the hook works
    kIgnore,  // nothing to do; `reason` says why
  };

  Kind kind = Kind::kIgnore;
  std::string action;             // the forge's word: "opened", "synchronize", "merge", ...
  controller::PreviewKey key;     // for kUpsert and kClose
  controller::SpecUpdate update;  // for kUpsert
  std::string reason;             // for kIgnore
};

// An event that changes nothing, with the reason given to the forge.
WebhookEvent IgnoredEvent(absl::string_view action, std::string reason);

// Where one forge keeps the fields of a request event, as dotted paths into its payload, and
// what its action words mean.
struct RequestEventFields {
  controller::Provider provider;
  absl::string_view action;
  absl::string_view repo;
  absl::string_view number;
  absl::string_view clone_url;
  absl::string_view head_sha;
  absl::string_view head_ref;
  absl::string_view base_ref;
  absl::string_view title;   // may be absent
  absl::string_view author;  // may be absent
  // The request's state and the word for open: an upsert of a request that is not open (a
  // title edited after closing) must not reopen its preview.
  absl::string_view state;
  absl::string_view open_state;
  WebhookEvent::Kind (*kind_of_action)(absl::string_view action);
};

// Reads a request event from a JSON payload: the action first, then the key, and for kUpsert
// the spec fields. Unknown actions become kIgnore. InvalidArgument when the body is not a JSON
// object, or naming every missing or malformed field at once.
absl::StatusOr<WebhookEvent> ReadRequestEvent(absl::string_view body,
                                              const RequestEventFields& fields);

}  // namespace prevu::api

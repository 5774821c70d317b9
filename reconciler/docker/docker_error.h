// Turns an Engine API error answer into a status that carries Docker's own words, so that a user
// reading a preview's status sees what the daemon said.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace prevu::reconciler::docker {

// The status for a non-2xx answer: the code follows the HTTP status (404 NotFound, 409
// AlreadyExists, 400 InvalidArgument, 401/403 PermissionDenied, 5xx Unavailable or Internal) and
// the message is "<what>: <Docker's message>", taken from the JSON `message` field, or the body
// text when it is not JSON.
absl::Status DockerError(int http_status, absl::string_view body, absl::string_view what);

}  // namespace prevu::reconciler::docker

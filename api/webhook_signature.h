// Authentication of webhook deliveries: GitHub's X-Hub-Signature-256, GitLab's shared token and
// the Standard Webhooks signature that newer GitLab versions add. Every comparison of secret
// material takes the same time whatever the input, so an attacker learns nothing from timing.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace prevu::api {

// The raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(absl::string_view key, absl::string_view data);

// True when `a` equals `b`, in time that depends on neither their contents nor their lengths.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// Checks `header` ("sha256=<64 hex digits>") against the HMAC of `body` under `secret`.
// Unauthenticated, saying what is wrong but never what was expected, when it does not match.
absl::Status VerifyGitHubSignature(absl::string_view secret, absl::string_view header,
                                   absl::string_view body);

// The most a Standard Webhooks timestamp may differ from this host's clock.
inline constexpr absl::Duration kMaxWebhookClockSkew = absl::Minutes(5);

// Checks a Standard Webhooks signature: `signatures` is one or more space-separated
// "v1,<base64 HMAC-SHA256 of {id}.{timestamp}.{body}>", any one of which may match. A secret
// written "whsec_<base64>" is the base64 of the key, as the specification says; any other secret
// is the key itself. Unauthenticated when nothing matches, when the timestamp is not Unix seconds
// or is more than kMaxWebhookClockSkew away from `now`.
absl::Status VerifyStandardWebhook(absl::string_view secret, absl::string_view id,
                                   absl::string_view timestamp, absl::string_view signatures,
                                   absl::string_view body, absl::Time now);

}  // namespace prevu::api

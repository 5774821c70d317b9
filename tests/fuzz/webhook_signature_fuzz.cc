// Fuzzes webhook authentication with arbitrary header values. Input lines: the secret, the
// X-Hub-Signature-256 value, webhook-id, webhook-timestamp, webhook-signature, then the body.
// The headers as given must never crash the checks; a signature computed the way the forge does
// must be accepted, and the same signature over a different body must not.
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/webhook_signature.h"
#include "tests/fuzz/fuzz_support.h"

namespace prevu::api {
namespace {

// A fixed "now", so that a run depends on its input alone.
const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

void CheckGitHub(absl::string_view secret, absl::string_view header, absl::string_view body) {
  absl::Status given = VerifyGitHubSignature(secret, header, body);
  FUZZ_CHECK(given.ok() || absl::IsUnauthenticated(given));

  std::string signature = absl::StrCat("sha256=", absl::BytesToHexString(HmacSha256(secret, body)));
  FUZZ_CHECK(VerifyGitHubSignature(secret, signature, body).ok());
  FUZZ_CHECK(!VerifyGitHubSignature(secret, signature, absl::StrCat(body, "x")).ok());
}

void CheckStandard(absl::string_view secret, absl::string_view id, absl::string_view timestamp,
                   absl::string_view signatures, absl::string_view body) {
  absl::Status given = VerifyStandardWebhook(secret, id, timestamp, signatures, body, kNow);
  FUZZ_CHECK(given.ok() || absl::IsUnauthenticated(given));

  // Sign with the key itself, and again with the same key written "whsec_<base64>". A secret
  // that already starts with "whsec_" may or may not be base64, so only the second form is sure.
  std::string key(secret);
  std::string now = absl::StrCat(absl::ToUnixSeconds(kNow));
  std::string mac = HmacSha256(key, absl::StrCat(id, ".", now, ".", body));
  std::string signature = absl::StrCat(signatures, " v1,", absl::Base64Escape(mac));
  bool ok = VerifyStandardWebhook(absl::StrCat("whsec_", absl::Base64Escape(key)), id, now,
                                  signature, body, kNow)
                .ok();
  FUZZ_CHECK(ok == !id.empty());
  if (!absl::StartsWith(secret, "whsec_")) {
    FUZZ_CHECK(VerifyStandardWebhook(secret, id, now, signature, body, kNow).ok() == ok);
  }

  // The same signature over another body, or too late, is refused.
  FUZZ_CHECK(!VerifyStandardWebhook(key, id, now, signature, absl::StrCat(body, "x"), kNow).ok());
  FUZZ_CHECK(!VerifyStandardWebhook(key, id, now, signature, body,
                                    kNow + kMaxWebhookClockSkew + absl::Seconds(1))
                  .ok());
}

}  // namespace
}  // namespace prevu::api

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  prevu::fuzz::FuzzInput input(data, size);
  std::string secret(input.Line());
  std::string github_header(input.Line());
  std::string id(input.Line());
  std::string timestamp(input.Line());
  std::string signatures(input.Line());
  std::string body(input.Rest());

  prevu::api::CheckGitHub(secret, github_header, body);
  prevu::api::CheckStandard(secret, id, timestamp, signatures, body);
  return 0;
}

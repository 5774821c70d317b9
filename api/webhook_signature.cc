// HMAC verification with OpenSSL; see webhook_signature.h.
#include "api/webhook_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace prevu::api {
namespace {

constexpr size_t kDigestSize = 32;

std::string Sha256(absl::string_view data) {
  std::string digest(kDigestSize, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

// Decodes exactly 64 hex digits into 32 bytes; false on anything else.
bool DecodeHexDigest(absl::string_view hex, std::string* bytes) {
  if (hex.size() != 2 * kDigestSize) {
    return false;
  }
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  *bytes = absl::HexStringToBytes(hex);
  return true;
}

std::string StandardWebhookKey(absl::string_view secret) {
  std::string key;
  if (absl::ConsumePrefix(&secret, "whsec_") && absl::Base64Unescape(secret, &key)) {
    return key;
  }
  return std::string(secret);
}

}  // namespace

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  std::string mac(EVP_MAX_MD_SIZE, '\0');
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       reinterpret_cast<unsigned char*>(mac.data()), &size);
  mac.resize(size);
  return mac;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Comparing digests hides the lengths too: CRYPTO_memcmp alone needs equal sizes.
  std::string digest_a = Sha256(a);
  std::string digest_b = Sha256(b);
  return CRYPTO_memcmp(digest_a.data(), digest_b.data(), kDigestSize) == 0;
}

absl::Status VerifyGitHubSignature(absl::string_view secret, absl::string_view header,
                                   absl::string_view body) {
  if (header.empty()) {
    return absl::UnauthenticatedError(
        "missing X-Hub-Signature-256 header; set a secret on the GitHub webhook, the same as "
        "PREVU_GITHUB_SECRET");
  }

  std::string given;
  if (!absl::ConsumePrefix(&header, "sha256=") || !DecodeHexDigest(header, &given)) {
    return absl::UnauthenticatedError(
        "X-Hub-Signature-256 must be `sha256=` followed by 64 hex digits");
  }

  std::string expected = HmacSha256(secret, body);
  if (CRYPTO_memcmp(expected.data(), given.data(), kDigestSize) != 0) {
    return absl::UnauthenticatedError(
        "X-Hub-Signature-256 does not match the body; check that the GitHub webhook secret "
        "equals PREVU_GITHUB_SECRET");
  }
  return absl::OkStatus();
}

absl::Status VerifyStandardWebhook(absl::string_view secret, absl::string_view id,
                                   absl::string_view timestamp, absl::string_view signatures,
                                   absl::string_view body, absl::Time now) {
  int64_t seconds = 0;
  if (id.empty() || !absl::SimpleAtoi(timestamp, &seconds)) {
    return absl::UnauthenticatedError(
        "a signed delivery needs webhook-id and webhook-timestamp (Unix seconds) headers");
  }

  // A bounded timestamp turns a captured delivery into one that cannot be replayed later.
  absl::Duration skew = absl::AbsDuration(now - absl::FromUnixSeconds(seconds));
  if (skew > kMaxWebhookClockSkew) {
    return absl::UnauthenticatedError(absl::StrCat(
        "webhook-timestamp is ", absl::ToInt64Seconds(skew),
        " s away from this host's clock; more than ", absl::ToInt64Seconds(kMaxWebhookClockSkew),
        " s is refused (check both clocks, e.g. with NTP)"));
  }

  std::string expected =
      HmacSha256(StandardWebhookKey(secret), absl::StrCat(id, ".", timestamp, ".", body));
  bool matched = false;
  for (absl::string_view candidate : absl::StrSplit(signatures, ' ', absl::SkipEmpty())) {
    std::string given;
    if (absl::ConsumePrefix(&candidate, "v1,") && absl::Base64Unescape(candidate, &given) &&
        given.size() == kDigestSize) {
      // Every candidate is compared, so the time does not say which one matched.
      matched |= CRYPTO_memcmp(expected.data(), given.data(), kDigestSize) == 0;
    }
  }
  if (!matched) {
    return absl::UnauthenticatedError(
        "webhook-signature does not match the body; check that the GitLab signing secret "
        "equals PREVU_GITLAB_TOKEN");
  }
  return absl::OkStatus();
}

}  // namespace prevu::api

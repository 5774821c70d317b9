// The seam between the CertificateManager, which decides when a name needs a certificate, and
// whoever obtains one: the ACME client in production, a fake in the manager's unit tests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace prevu::proxy::acme {

struct IssuedCertificate {
  std::string chain_pem;  // leaf first
  std::string key_pem;    // the leaf's private key, PKCS#8
};

class CertificateIssuer {
 public:
  virtual ~CertificateIssuer() = default;

  // Obtains one certificate for all of `names`. Blocks until it is issued or has failed, which
  // can take minutes; called from one thread at a time. The error's message says why in words an
  // operator can act on (for a CA, its own `detail`); Cancelled after Cancel().
  virtual absl::StatusOr<IssuedCertificate> Issue(const std::vector<std::string>& names) = 0;

  // Makes a running Issue() and every later one return Cancelled soon. Thread-safe; for
  // shutdown.
  virtual void Cancel() = 0;
};

// An issuer's error may say how long to wait before trying again (a CA's Retry-After on a
// rateLimited answer, RFC 8555 section 6.6); the manager then waits at least that long.
inline constexpr char kRetryAfterPayload[] = "prevu.acme/retry-after-seconds";

inline absl::Status WithRetryAfter(absl::Status status, absl::Duration wait) {
  status.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(absl::ToInt64Seconds(wait))));
  return status;
}

inline std::optional<absl::Duration> RetryAfterOf(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterPayload);
  int64_t seconds = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &seconds) || seconds < 0) {
    return std::nullopt;
  }
  return absl::Seconds(seconds);
}

}  // namespace prevu::proxy::acme

// The ACME account key: one ECDSA P-256 key per state directory, made on first use and reused
// across restarts, so that Prevu stays the same account at the CA (RFC 8555 section 7.3).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "proxy/acme/ec_key.h"

namespace prevu::proxy::acme {

// The key in `path` (PEM), or a new one written there with mode 0600 (its directory is made with
// mode 0700) when the file does not exist. FailedPrecondition when the file exists but its group
// or others may read it: a key that others could read may have been copied, so it is refused
// rather than silently fixed. InvalidArgument when it is not a P-256 key; Internal on I/O errors.
absl::StatusOr<EcKey> LoadOrCreateAccountKey(const std::string& path);

}  // namespace prevu::proxy::acme

// What the ACME side needs to know of a certificate it holds: its validity period, for renewal,
// and its names, to file it and to check it covers what was asked for.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace prevu::proxy::acme {

struct CertificateInfo {
  absl::Time not_before;
  absl::Time not_after;
  std::vector<std::string> names;  // the leaf's subjectAltName DNS entries, as written

  absl::Duration lifetime() const { return not_after - not_before; }
};

// Reads the leaf (the first certificate) of a PEM chain. InvalidArgument when there is none.
absl::StatusOr<CertificateInfo> InspectCertificate(absl::string_view chain_pem);

// OK when `key_pem` is the private key of the chain's leaf; InvalidArgument otherwise.
absl::Status CheckKeyMatchesCertificate(absl::string_view chain_pem, absl::string_view key_pem);

}  // namespace prevu::proxy::acme

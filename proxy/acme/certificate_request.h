// The certificate signing request sent to finalize an order (RFC 8555 section 7.4): a new P-256
// key per certificate, the names as subjectAltName DNS entries, signed with SHA-256.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace prevu::proxy::acme {

struct CertificateRequest {
  std::string der;      // the PKCS#10 request, DER
  std::string key_pem;  // the new private key (PKCS#8 PEM) that the certificate will belong to
};

// A CSR for `names` (at least one; the first also becomes the subject's common name when it fits
// in 64 characters). InvalidArgument for no names; Internal when OpenSSL fails.
absl::StatusOr<CertificateRequest> MakeCertificateRequest(const std::vector<std::string>& names);

}  // namespace prevu::proxy::acme

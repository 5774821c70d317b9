// The border between whoever obtains certificates (the ACME client, or a static file read at
// start) and the TLS listener that serves them. The TLS side implements it; the ACME side only
// calls it.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace prevu::proxy {

class CertificateSink {
 public:
  virtual ~CertificateSink() = default;

  // Installs a certificate chain (PEM, leaf first) with its private key (PEM) for every DNS name
  // in the leaf's subjectAltName, replacing whatever served those names before. Connections
  // already open keep the certificate they negotiated. Thread-safe. Returns InvalidArgument when
  // the chain or key does not parse or the key does not match the leaf.
  virtual absl::Status Install(absl::string_view chain_pem, absl::string_view key_pem) = 0;
};

}  // namespace prevu::proxy

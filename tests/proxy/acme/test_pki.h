// Certificates for the ACME tests: a small certificate authority that signs leaves for given
// names, keys and validity periods, and signs CSRs as a CA's finalize does.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proxy/acme/certificate_issuer.h"
#include "proxy/acme/ec_key.h"
#include "proxy/acme/openssl_util.h"

namespace prevu::proxy::acme::testing {

class TestCa {
 public:
  // A P-256 root valid from a day before `now` for ten years.
  explicit TestCa(absl::Time now = absl::Now());

  // A leaf for `dns_names` (and `ip_addresses`) with the public half of `subject`, PEM.
  std::string IssuePem(const std::vector<std::string>& dns_names, EVP_PKEY* subject,
                       absl::Time not_before, absl::Time not_after,
                       const std::vector<std::string>& ip_addresses = {}) const;

  // A leaf and its new key for `dns_names`; the chain is leaf then root.
  IssuedCertificate Issue(const std::vector<std::string>& dns_names, absl::Time not_before,
                          absl::Time not_after) const;

  // What a CA does with a CSR: checks its signature, reads its subjectAltName DNS entries and
  // returns the chain (leaf then root). InvalidArgument for a bad CSR.
  absl::StatusOr<std::string> IssueForCsr(absl::string_view csr_der, absl::Time not_before,
                                          absl::Time not_after) const;

  const std::string& root_pem() const { return root_pem_; }

 private:
  EcKey key_;
  X509Ptr root_;
  std::string root_pem_;
};

// The DNS subjectAltNames of a DER CSR, and whether its signature verifies.
struct CsrContents {
  std::vector<std::string> dns_names;
  std::string common_name;
  bool signature_valid = false;
  std::string key_type;  // "EC P-256", or the OpenSSL type name otherwise
};
absl::StatusOr<CsrContents> ReadCsr(absl::string_view der);

// True when the leaf of `chain_pem` verifies against `root_pem` (with the chain's other
// certificates as intermediates) for host `name`.
bool ChainVerifies(const std::string& chain_pem, const std::string& root_pem,
                   const std::string& name);

}  // namespace prevu::proxy::acme::testing

// Certificate inspection with OpenSSL; see certificate_info.h.
#include "proxy/acme/certificate_info.h"

#include <openssl/pem.h>

#include <ctime>

#include "proxy/acme/openssl_util.h"

namespace prevu::proxy::acme {
namespace {

absl::StatusOr<X509Ptr> ReadLeaf(absl::string_view chain_pem) {
  BioPtr bio = MemoryBio(chain_pem);
  X509Ptr leaf(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (leaf == nullptr) {
    return absl::InvalidArgumentError(OpenSslError("no PEM certificate"));
  }
  return leaf;
}

absl::Time ToTime(const ASN1_TIME* time) {
  struct tm fields = {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &fields) != 1) {
    return absl::InfinitePast();
  }
  return absl::FromTimeT(timegm(&fields));
}

std::vector<std::string> DnsNames(X509* leaf) {
  std::vector<std::string> names;
  auto* general =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; general != nullptr && i < sk_GENERAL_NAME_num(general); ++i) {
    const GENERAL_NAME* entry = sk_GENERAL_NAME_value(general, i);
    if (entry->type == GEN_DNS) {
      const ASN1_IA5STRING* text = entry->d.dNSName;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                         ASN1_STRING_length(text));
    }
  }
  GENERAL_NAMES_free(general);
  return names;
}

}  // namespace

absl::StatusOr<CertificateInfo> InspectCertificate(absl::string_view chain_pem) {
  absl::StatusOr<X509Ptr> leaf = ReadLeaf(chain_pem);
  if (!leaf.ok()) {
    return leaf.status();
  }
  return CertificateInfo{ToTime(X509_get0_notBefore(leaf->get())),
                         ToTime(X509_get0_notAfter(leaf->get())), DnsNames(leaf->get())};
}

absl::Status CheckKeyMatchesCertificate(absl::string_view chain_pem, absl::string_view key_pem) {
  absl::StatusOr<X509Ptr> leaf = ReadLeaf(chain_pem);
  if (!leaf.ok()) {
    return leaf.status();
  }
  BioPtr bio = MemoryBio(key_pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(OpenSslError("no PEM private key"));
  }
  if (X509_check_private_key(leaf->get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the private key does not belong to the certificate");
  }
  return absl::OkStatus();
}

}  // namespace prevu::proxy::acme

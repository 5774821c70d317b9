// CSRs with OpenSSL; see certificate_request.h.
#include "proxy/acme/certificate_request.h"

#include "proxy/acme/ec_key.h"
#include "proxy/acme/openssl_util.h"

namespace prevu::proxy::acme {
namespace {

constexpr size_t kMaxCommonName = 64;  // ub-common-name, RFC 5280 appendix A.1

using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OpenSslFree<GENERAL_NAMES_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslFree<X509_EXTENSION_free>>;

void FreeExtensions(STACK_OF(X509_EXTENSION) * stack) {
  sk_X509_EXTENSION_pop_free(stack, X509_EXTENSION_free);
}

// The subjectAltName extension listing `names` as dNSName entries.
ExtensionPtr SubjectAltNames(const std::vector<std::string>& names) {
  GeneralNamesPtr general(GENERAL_NAMES_new());
  for (const std::string& name : names) {
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    GENERAL_NAME* entry = GENERAL_NAME_new();
    ASN1_STRING_set(text, name.data(), static_cast<int>(name.size()));
    GENERAL_NAME_set0_value(entry, GEN_DNS, text);
    sk_GENERAL_NAME_push(general.get(), entry);
  }
  return ExtensionPtr(X509V3_EXT_i2d(NID_subject_alt_name, 0, general.get()));
}

}  // namespace

absl::StatusOr<CertificateRequest> MakeCertificateRequest(const std::vector<std::string>& names) {
  if (names.empty()) {
    return absl::InvalidArgumentError("a certificate request needs at least one name");
  }
  absl::StatusOr<EcKey> key = EcKey::Generate();
  if (!key.ok()) {
    return key.status();
  }

  X509ReqPtr request(X509_REQ_new());
  bool built = request != nullptr && X509_REQ_set_version(request.get(), 0) == 1 &&
               X509_REQ_set_pubkey(request.get(), key->get()) == 1;
  if (built && names[0].size() <= kMaxCommonName) {
    X509_NAME* subject = X509_REQ_get_subject_name(request.get());
    built = X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(names[0].data()),
                                       static_cast<int>(names[0].size()), -1, 0) == 1;
  }

  // The names go in a requested-extensions attribute (PKCS#9 extensionRequest).
  std::unique_ptr<STACK_OF(X509_EXTENSION), OpenSslFree<FreeExtensions>> extensions(
      sk_X509_EXTENSION_new_null());
  ExtensionPtr alt_names = SubjectAltNames(names);
  built = built && alt_names != nullptr &&
          sk_X509_EXTENSION_push(extensions.get(), alt_names.release()) > 0 &&
          X509_REQ_add_extensions(request.get(), extensions.get()) == 1 &&
          X509_REQ_sign(request.get(), key->get(), EVP_sha256()) > 0;

  unsigned char* der = nullptr;
  int der_size = built ? i2d_X509_REQ(request.get(), &der) : -1;
  if (der_size <= 0) {
    return absl::InternalError(OpenSslError("cannot build the certificate request"));
  }
  BytesPtr der_owner(der);
  return CertificateRequest{std::string(reinterpret_cast<char*>(der), der_size),
                            key->PrivateKeyPem()};
}

}  // namespace prevu::proxy::acme

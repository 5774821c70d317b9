// The tests' certificate authority; see test_pki.h.
#include "tests/proxy/acme/test_pki.h"

#include <openssl/pem.h>

#include <atomic>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace prevu::proxy::acme::testing {
namespace {

void FreeCertificates(STACK_OF(X509) * stack) { sk_X509_pop_free(stack, X509_free); }
using StackPtr = std::unique_ptr<STACK_OF(X509), OpenSslFree<FreeCertificates>>;

EcKey NewKey() {
  absl::StatusOr<EcKey> key = EcKey::Generate();
  if (!key.ok()) {
    std::abort();
  }
  return std::move(*key);
}

std::string ToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return BioContents(bio.get());
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// An unsigned certificate with a fresh serial, the validity and subject given.
X509Ptr NewCertificate(EVP_PKEY* subject_key, const std::string& common_name, absl::Time not_before,
                       absl::Time not_after) {
  static std::atomic<long> serial{1000};
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(not_after));
  X509_set_pubkey(cert.get(), subject_key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  return cert;
}

}  // namespace

TestCa::TestCa(absl::Time now) : key_(NewKey()) {
  root_ = NewCertificate(key_.get(), "Prevu Test Root", now - absl::Hours(24),
                         now + absl::Hours(24 * 3650));
  X509_set_issuer_name(root_.get(), X509_get_subject_name(root_.get()));
  AddExtension(root_.get(), root_.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(root_.get(), root_.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(root_.get(), root_.get(), NID_subject_key_identifier, "hash");
  X509_sign(root_.get(), key_.get(), EVP_sha256());
  root_pem_ = ToPem(root_.get());
}

std::string TestCa::IssuePem(const std::vector<std::string>& dns_names, EVP_PKEY* subject,
                             absl::Time not_before, absl::Time not_after,
                             const std::vector<std::string>& ip_addresses) const {
  std::vector<std::string> alt_names;
  for (const std::string& name : dns_names) {
    alt_names.push_back(absl::StrCat("DNS:", name));
  }
  for (const std::string& ip : ip_addresses) {
    alt_names.push_back(absl::StrCat("IP:", ip));
  }
  X509Ptr cert =
      NewCertificate(subject, dns_names.empty() ? "leaf" : dns_names[0], not_before, not_after);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(root_.get()));
  AddExtension(cert.get(), root_.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert.get(), root_.get(), NID_ext_key_usage, "serverAuth");
  AddExtension(cert.get(), root_.get(), NID_authority_key_identifier, "keyid:always");
  AddExtension(cert.get(), root_.get(), NID_subject_alt_name, absl::StrJoin(alt_names, ","));
  X509_sign(cert.get(), key_.get(), EVP_sha256());
  return ToPem(cert.get());
}

IssuedCertificate TestCa::Issue(const std::vector<std::string>& dns_names, absl::Time not_before,
                                absl::Time not_after) const {
  EcKey leaf_key = NewKey();
  return {absl::StrCat(IssuePem(dns_names, leaf_key.get(), not_before, not_after), root_pem_),
          leaf_key.PrivateKeyPem()};
}

absl::StatusOr<std::string> TestCa::IssueForCsr(absl::string_view csr_der, absl::Time not_before,
                                                absl::Time not_after) const {
  absl::StatusOr<CsrContents> csr = ReadCsr(csr_der);
  if (!csr.ok() || !csr->signature_valid || csr->dns_names.empty()) {
    return absl::InvalidArgumentError("bad CSR");
  }
  const auto* cursor = reinterpret_cast<const unsigned char*>(csr_der.data());
  X509ReqPtr request(d2i_X509_REQ(nullptr, &cursor, static_cast<long>(csr_der.size())));
  return absl::StrCat(
      IssuePem(csr->dns_names, X509_REQ_get0_pubkey(request.get()), not_before, not_after),
      root_pem_);
}

absl::StatusOr<CsrContents> ReadCsr(absl::string_view der) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  X509ReqPtr request(d2i_X509_REQ(nullptr, &cursor, static_cast<long>(der.size())));
  if (request == nullptr) {
    return absl::InvalidArgumentError("not a DER CSR");
  }
  CsrContents contents;
  EVP_PKEY* key = X509_REQ_get0_pubkey(request.get());
  contents.signature_valid = X509_REQ_verify(request.get(), key) == 1;
  char group[64] = {};
  size_t size = 0;
  contents.key_type = EVP_PKEY_get0_type_name(key);
  if (EVP_PKEY_is_a(key, "EC") &&
      EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &size) == 1 &&
      std::string(group, size) == "prime256v1") {
    contents.key_type = "EC P-256";
  }
  char common_name[256] = {};
  if (X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(request.get()), NID_commonName,
                                common_name, sizeof(common_name)) > 0) {
    contents.common_name = common_name;
  }

  STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(request.get());
  for (int i = 0; i < sk_X509_EXTENSION_num(extensions); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(extensions, i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name) {
      continue;
    }
    auto* names = static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext));
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type == GEN_DNS) {
        contents.dns_names.emplace_back(
            reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
            ASN1_STRING_length(name->d.dNSName));
      }
    }
    GENERAL_NAMES_free(names);
  }
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  return contents;
}

bool ChainVerifies(const std::string& chain_pem, const std::string& root_pem,
                   const std::string& name) {
  std::unique_ptr<X509_STORE, OpenSslFree<X509_STORE_free>> store(X509_STORE_new());
  BioPtr root_bio = MemoryBio(root_pem);
  X509Ptr root(PEM_read_bio_X509(root_bio.get(), nullptr, nullptr, nullptr));
  if (root == nullptr || X509_STORE_add_cert(store.get(), root.get()) != 1) {
    return false;
  }

  BioPtr chain_bio = MemoryBio(chain_pem);
  X509Ptr leaf(PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr));
  StackPtr intermediates(sk_X509_new_null());
  while (X509* next = PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(intermediates.get(), next);
  }
  ERR_clear_error();
  std::unique_ptr<X509_STORE_CTX, OpenSslFree<X509_STORE_CTX_free>> ctx(X509_STORE_CTX_new());
  if (leaf == nullptr ||
      X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), intermediates.get()) != 1) {
    return false;
  }
  X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx.get()), name.c_str(), name.size());
  return X509_verify_cert(ctx.get()) == 1;
}

}  // namespace prevu::proxy::acme::testing

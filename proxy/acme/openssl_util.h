// Owning pointers for OpenSSL objects and the text of OpenSSL's error queue, for the ACME client's
// cryptography (keys, JWS, CSRs, certificates). Internal to proxy/acme/.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace prevu::proxy::acme {

template <auto kFree>
struct OpenSslFree {
  template <typename T>
  void operator()(T* p) const {
    kFree(p);
  }
};

inline void FreeOpenSslBytes(unsigned char* p) { OPENSSL_free(p); }

using BytesPtr = std::unique_ptr<unsigned char, OpenSslFree<FreeOpenSslBytes>>;  // i2d_* output
using BioPtr = std::unique_ptr<BIO, OpenSslFree<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslFree<BN_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpenSslFree<ECDSA_SIG_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpenSslFree<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslFree<EVP_MD_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslFree<X509_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, OpenSslFree<X509_REQ_free>>;

// A read-only memory BIO over `data`, which must outlive it.
inline BioPtr MemoryBio(absl::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// Everything a memory BIO holds, as a string.
inline std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, size > 0 ? static_cast<size_t>(size) : 0);
}

// The newest entry of this thread's OpenSSL error queue, prefixed by `what`; empties the queue so
// that stale entries never describe a later failure.
inline std::string OpenSslError(absl::string_view what) {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) {
    return std::string(what);
  }
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return absl::StrCat(what, ": ", text);
}

}  // namespace prevu::proxy::acme

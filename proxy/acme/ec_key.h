// An ECDSA P-256 key: the ACME account key and the key of each certificate. It signs with ES256
// (RFC 7518 section 3.4: the signature is r || s, 32 bytes each, not DER) and shows its public
// half as a JWK (RFC 7517, RFC 7518 section 6.2).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "proxy/acme/openssl_util.h"

namespace prevu::proxy::acme {

class EcKey {
 public:
  // A fresh key from OpenSSL's random generator.
  static absl::StatusOr<EcKey> Generate();

  // A private key in PEM (PKCS#8 or SEC 1). InvalidArgument unless it is a P-256 EC key.
  static absl::StatusOr<EcKey> FromPem(absl::string_view pem);

  // A key from its JWK: public with `x` and `y`, private too when `d` is present. InvalidArgument
  // unless it is an EC key on P-256 whose point lies on the curve.
  static absl::StatusOr<EcKey> FromJwk(const nlohmann::json& jwk);

  // The private key as PKCS#8 PEM. Empty for a public-only key.
  std::string PrivateKeyPem() const;

  // {"crv":"P-256","kty":"EC","x":…,"y":…}, coordinates base64url without padding.
  nlohmann::json PublicJwk() const;

  // The ES256 signature of `input`: 64 bytes, r then s. Fails for a public-only key.
  absl::StatusOr<std::string> SignEs256(absl::string_view input) const;

  // Whether `signature` (64 bytes, r || s) is a valid ES256 signature of `input` by this key.
  bool VerifyEs256(absl::string_view input, absl::string_view signature) const;

  EVP_PKEY* get() const { return pkey_.get(); }

 private:
  explicit EcKey(PkeyPtr pkey, bool has_private) : pkey_(std::move(pkey)), private_(has_private) {}

  PkeyPtr pkey_;
  bool private_;
};

// base64url without padding (RFC 7515 section 2), and its inverse; Decode fails on characters
// outside the URL-safe alphabet.
std::string Base64UrlEncode(absl::string_view bytes);
absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text);

}  // namespace prevu::proxy::acme

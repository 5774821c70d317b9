// JSON Web Signatures as ACME uses them (RFC 8555 section 6.2): ES256, the flattened JSON
// serialization, a protected header with `nonce` and `url` and either the account's `jwk` (for
// newAccount) or its `kid` (for everything after). Also the JWK thumbprint (RFC 7638) that key
// authorizations are made of.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "proxy/acme/ec_key.h"

namespace prevu::proxy::acme {

// The protected header of an ACME request: {"alg":"ES256","nonce":…,"url":…} plus "jwk" (the
// key's public JWK) when `kid` is empty, or "kid" otherwise.
nlohmann::json AcmeProtectedHeader(const EcKey& key, absl::string_view nonce, absl::string_view url,
                                   absl::string_view kid);

// {"protected":…,"payload":…,"signature":…} over `payload` as given (an empty payload is a
// POST-as-GET, RFC 8555 section 6.3). Fails only when the key cannot sign.
absl::StatusOr<std::string> SignJws(const EcKey& key, const nlohmann::json& protected_header,
                                    absl::string_view payload);

struct VerifiedJws {
  nlohmann::json protected_header;
  std::string payload;  // decoded
};

// Checks a flattened JWS signed with ES256 by `key`, or, when `key` is null, by the `jwk` of its
// own protected header (as a CA checks newAccount). InvalidArgument when it does not parse,
// PermissionDenied when the signature is wrong.
absl::StatusOr<VerifiedJws> VerifyJws(absl::string_view flattened, const EcKey* key);

// The base64url SHA-256 thumbprint of a JWK (RFC 7638 section 3): the hash of the JSON object of
// its required members only (per `kty`: EC crv/kty/x/y, RSA e/kty/n, oct k/kty, OKP
// crv/kty/x), in lexicographic order and without whitespace. InvalidArgument for another `kty`
// or a missing member.
absl::StatusOr<std::string> JwkThumbprint(const nlohmann::json& jwk);

}  // namespace prevu::proxy::acme

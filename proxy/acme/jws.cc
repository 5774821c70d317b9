// JWS and JWK thumbprints; see jws.h.
#include "proxy/acme/jws.h"

#include <openssl/sha.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "controller/base/strings.h"
#include "proxy/acme/json_util.h"

namespace prevu::proxy::acme {
namespace {

std::vector<const char*> RequiredMembers(absl::string_view kty) {
  if (kty == "EC") {
    return {"crv", "kty", "x", "y"};
  }
  if (kty == "RSA") {
    return {"e", "kty", "n"};
  }
  if (kty == "oct") {
    return {"k", "kty"};
  }
  if (kty == "OKP") {
    return {"crv", "kty", "x"};
  }
  return {};
}

}  // namespace

nlohmann::json AcmeProtectedHeader(const EcKey& key, absl::string_view nonce, absl::string_view url,
                                   absl::string_view kid) {
  nlohmann::json header = {
      {"alg", "ES256"},
      {"nonce", ToStd(nonce)},
      {"url", ToStd(url)},
  };
  if (kid.empty()) {
    header["jwk"] = key.PublicJwk();
  } else {
    header["kid"] = ToStd(kid);
  }
  return header;
}

absl::StatusOr<std::string> SignJws(const EcKey& key, const nlohmann::json& protected_header,
                                    absl::string_view payload) {
  std::string protected64 = Base64UrlEncode(protected_header.dump());
  std::string payload64 = Base64UrlEncode(payload);

  // RFC 7515 section 5.1: the signing input is ASCII(protected64 '.' payload64).
  absl::StatusOr<std::string> signature = key.SignEs256(absl::StrCat(protected64, ".", payload64));
  if (!signature.ok()) {
    return signature.status();
  }
  nlohmann::json jws = {
      {"protected", protected64},
      {"payload", payload64},
      {"signature", Base64UrlEncode(*signature)},
  };
  return jws.dump();
}

absl::StatusOr<VerifiedJws> VerifyJws(absl::string_view flattened, const EcKey* key) {
  nlohmann::json jws = nlohmann::json::parse(ToStd(flattened), nullptr, false);
  const std::string* protected64 = FindString(jws, "protected");
  const std::string* payload64 = FindString(jws, "payload");
  const std::string* signature64 = FindString(jws, "signature");
  if (protected64 == nullptr || payload64 == nullptr || signature64 == nullptr) {
    return absl::InvalidArgumentError("not a flattened JWS");
  }
  absl::StatusOr<std::string> header_text = Base64UrlDecode(ToAbsl(*protected64));
  absl::StatusOr<std::string> payload = Base64UrlDecode(ToAbsl(*payload64));
  absl::StatusOr<std::string> signature = Base64UrlDecode(ToAbsl(*signature64));
  if (!header_text.ok() || !payload.ok() || !signature.ok()) {
    return absl::InvalidArgumentError("JWS member is not base64url");
  }
  VerifiedJws verified{nlohmann::json::parse(*header_text, nullptr, false), std::move(*payload)};
  if (StringOrEmpty(verified.protected_header, "alg") != "ES256") {
    return absl::InvalidArgumentError("JWS protected header is not an ES256 header");
  }

  absl::StatusOr<EcKey> embedded = absl::InvalidArgumentError("JWS header carries no jwk");
  if (key == nullptr && verified.protected_header.contains("jwk")) {
    embedded = EcKey::FromJwk(verified.protected_header["jwk"]);
  }
  if (key == nullptr && !embedded.ok()) {
    return embedded.status();
  }
  const EcKey& signer = key != nullptr ? *key : *embedded;
  if (!signer.VerifyEs256(absl::StrCat(*protected64, ".", *payload64), *signature)) {
    return absl::PermissionDeniedError("JWS signature does not verify");
  }
  return verified;
}

absl::StatusOr<std::string> JwkThumbprint(const nlohmann::json& jwk) {
  const std::string* kty = FindString(jwk, "kty");
  if (kty == nullptr || RequiredMembers(ToAbsl(*kty)).empty()) {
    return absl::InvalidArgumentError("JWK has no supported `kty` (EC, RSA, oct, OKP)");
  }

  // nlohmann::json keeps object members in a std::map, so dump() writes them sorted and
  // without whitespace: the canonical form of RFC 7638 section 3.3.
  nlohmann::json required = nlohmann::json::object();
  for (const char* member : RequiredMembers(ToAbsl(*kty))) {
    const std::string* value = FindString(jwk, member);
    if (value == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("JWK lacks required member `", member, "`"));
    }
    required[member] = *value;
  }
  std::string canonical = required.dump();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
  return Base64UrlEncode(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace prevu::proxy::acme

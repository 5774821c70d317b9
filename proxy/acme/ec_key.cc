// ECDSA P-256 keys with OpenSSL 3; see ec_key.h.
#include "proxy/acme/ec_key.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "controller/base/strings.h"
#include "proxy/acme/json_util.h"

namespace prevu::proxy::acme {
namespace {

constexpr size_t kCoordinateBytes = 32;  // P-256 coordinates and scalars
constexpr char kGroupName[] = "prime256v1";

bool IsP256(EVP_PKEY* pkey) {
  char group[64] = {};
  size_t size = 0;
  return EVP_PKEY_is_a(pkey, "EC") &&
         EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                        &size) == 1 &&
         absl::string_view(group, size) == kGroupName;
}

// A JWK member holding a base64url coordinate or scalar of exactly 32 bytes.
absl::StatusOr<std::string> JwkCoordinate(const nlohmann::json& jwk, const char* member) {
  const std::string* text = FindString(jwk, member);
  if (text == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("JWK has no string member `", member, "`"));
  }
  absl::StatusOr<std::string> bytes = Base64UrlDecode(ToAbsl(*text));
  if (!bytes.ok() || bytes->size() != kCoordinateBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWK member `", member, "` is not 32 bytes of base64url"));
  }
  return bytes;
}

std::string CoordinateParam(EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  std::string bytes(kCoordinateBytes, '\0');
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) == 1) {
    BignumPtr value(raw);
    BN_bn2binpad(value.get(), reinterpret_cast<unsigned char*>(bytes.data()), kCoordinateBytes);
  }
  return bytes;
}

}  // namespace

absl::StatusOr<EcKey> EcKey::Generate() {
  PkeyPtr pkey(EVP_EC_gen("P-256"));
  if (pkey == nullptr) {
    return absl::InternalError(OpenSslError("cannot generate a P-256 key"));
  }
  return EcKey(std::move(pkey), true);
}

absl::StatusOr<EcKey> EcKey::FromPem(absl::string_view pem) {
  BioPtr bio = MemoryBio(pem);
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(OpenSslError("not a PEM private key"));
  }
  if (!IsP256(pkey.get())) {
    return absl::InvalidArgumentError("the private key is not an ECDSA P-256 key");
  }
  return EcKey(std::move(pkey), true);
}

absl::StatusOr<EcKey> EcKey::FromJwk(const nlohmann::json& jwk) {
  if (StringOrEmpty(jwk, "kty") != "EC" || StringOrEmpty(jwk, "crv") != "P-256") {
    return absl::InvalidArgumentError("JWK is not an EC key on P-256");
  }
  absl::StatusOr<std::string> x = JwkCoordinate(jwk, "x");
  absl::StatusOr<std::string> y = JwkCoordinate(jwk, "y");
  if (!x.ok() || !y.ok()) {
    return x.ok() ? y.status() : x.status();
  }
  bool has_private = jwk.contains("d");
  absl::StatusOr<std::string> d = has_private ? JwkCoordinate(jwk, "d") : std::string();
  if (!d.ok()) {
    return d.status();
  }

  // The public point in uncompressed form (SEC 1 section 2.3.3): 0x04 || x || y.
  std::string point = absl::StrCat("\x04", *x, *y);
  std::unique_ptr<OSSL_PARAM_BLD, OpenSslFree<OSSL_PARAM_BLD_free>> build(OSSL_PARAM_BLD_new());
  BignumPtr scalar(has_private ? BN_bin2bn(reinterpret_cast<const unsigned char*>(d->data()),
                                           static_cast<int>(d->size()), nullptr)
                               : nullptr);
  OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, kGroupName, 0);
  OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                   point.size());
  if (scalar != nullptr) {
    OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get());
  }
  std::unique_ptr<OSSL_PARAM, OpenSslFree<OSSL_PARAM_free>> params(
      OSSL_PARAM_BLD_to_param(build.get()));

  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (ctx == nullptr || params == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, has_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return absl::InvalidArgumentError(OpenSslError("JWK does not describe a P-256 key"));
  }
  PkeyPtr pkey(raw);

  // fromdata takes the point as given; a point off the curve must not become a key.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return absl::InvalidArgumentError(OpenSslError("JWK point is not on P-256"));
  }
  return EcKey(std::move(pkey), has_private);
}

std::string EcKey::PrivateKeyPem() const {
  if (!private_) {
    return "";
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return BioContents(bio.get());
}

nlohmann::json EcKey::PublicJwk() const {
  return {
      {"crv", "P-256"},
      {"kty", "EC"},
      {"x", Base64UrlEncode(CoordinateParam(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_X))},
      {"y", Base64UrlEncode(CoordinateParam(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_Y))},
  };
}

absl::StatusOr<std::string> EcKey::SignEs256(absl::string_view input) const {
  if (!private_) {
    return absl::FailedPreconditionError("cannot sign with a public key");
  }
  MdCtxPtr md(EVP_MD_CTX_new());
  size_t der_size = 0;
  if (md == nullptr ||
      EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, pkey_.get()) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &der_size,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return absl::InternalError(OpenSslError("ES256 signing failed"));
  }
  std::string der(der_size, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(der.data()), &der_size,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return absl::InternalError(OpenSslError("ES256 signing failed"));
  }

  // OpenSSL produces an ASN.1 ECDSA-Sig-Value; JWS wants both integers padded to 32 bytes.
  const unsigned char* cursor = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_size)));
  if (sig == nullptr) {
    return absl::InternalError(OpenSslError("ES256 signature is not DER"));
  }
  std::string raw(2 * kCoordinateBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, kCoordinateBytes);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + kCoordinateBytes, kCoordinateBytes);
  return raw;
}

bool EcKey::VerifyEs256(absl::string_view input, absl::string_view signature) const {
  if (signature.size() != 2 * kCoordinateBytes) {
    return false;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes, kCoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kCoordinateBytes, kCoordinateBytes, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  int der_size = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_size <= 0) {
    return false;
  }
  BytesPtr der_owner(der);

  MdCtxPtr md(EVP_MD_CTX_new());
  bool valid =
      md != nullptr &&
      EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, pkey_.get()) == 1 &&
      EVP_DigestVerify(md.get(), der, static_cast<size_t>(der_size),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  ERR_clear_error();
  return valid;
}

std::string Base64UrlEncode(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return absl::InvalidArgumentError("not base64url");
    }
  }
  std::string bytes;
  if (!absl::WebSafeBase64Unescape(text, &bytes)) {
    return absl::InvalidArgumentError("not base64url");
  }
  return bytes;
}

}  // namespace prevu::proxy::acme

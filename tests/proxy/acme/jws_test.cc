// ES256 JWS and JWK thumbprints against the RFCs' own examples (RFC 7515 appendix A.3, RFC 7638
// section 3.1), and the ACME header rules of RFC 8555 section 6.2.
#include "proxy/acme/jws.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace prevu::proxy::acme {
namespace {

// RFC 7515 appendix A.3: the P-256 key, the signing input and the signature.
const nlohmann::json kRfcKey = {
    {"kty", "EC"},
    {"crv", "P-256"},
    {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
    {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
    {"d", "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"},
};
constexpr char kRfcProtected[] = "eyJhbGciOiJFUzI1NiJ9";
constexpr char kRfcPayload[] =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
    "fQ";
constexpr char kRfcSignature[] =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

EcKey RfcPublicKey() {
  nlohmann::json jwk = kRfcKey;
  jwk.erase("d");
  return *EcKey::FromJwk(jwk);
}

TEST(JwsTest, VerifiesTheRfc7515Es256Example) {
  EcKey key = RfcPublicKey();
  std::string signature = *Base64UrlDecode(kRfcSignature);
  std::string input = absl::StrCat(kRfcProtected, ".", kRfcPayload);

  EXPECT_EQ(signature.size(), 64u);
  EXPECT_TRUE(key.VerifyEs256(input, signature));

  // One bit off in the signature or the input, and it must fail.
  std::string flipped = signature;
  flipped[63] ^= 1;
  EXPECT_FALSE(key.VerifyEs256(input, flipped));
  EXPECT_FALSE(key.VerifyEs256(absl::StrCat(input, "x"), signature));
}

TEST(JwsTest, VerifiesTheRfcExampleAsAFlattenedJws) {
  EcKey key = RfcPublicKey();
  nlohmann::json flattened = {
      {"protected", kRfcProtected}, {"payload", kRfcPayload}, {"signature", kRfcSignature}};

  absl::StatusOr<VerifiedJws> verified = VerifyJws(flattened.dump(), &key);

  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->protected_header["alg"], "ES256");
  EXPECT_EQ(verified->payload,
            "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}");
}

TEST(JwsTest, SignsWithTheRfcKeySoThatItsPublicHalfVerifies) {
  EcKey private_key = *EcKey::FromJwk(kRfcKey);
  std::string input = absl::StrCat(kRfcProtected, ".", kRfcPayload);

  absl::StatusOr<std::string> signature = private_key.SignEs256(input);

  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_EQ(signature->size(), 64u);  // r || s, not DER
  EXPECT_TRUE(RfcPublicKey().VerifyEs256(input, *signature));
}

TEST(JwsTest, PublicJwkOfTheRfcKeyHasItsCoordinates) {
  nlohmann::json jwk = EcKey::FromJwk(kRfcKey)->PublicJwk();

  EXPECT_EQ(jwk, nlohmann::json(
                     {{"kty", "EC"}, {"crv", "P-256"}, {"x", kRfcKey["x"]}, {"y", kRfcKey["y"]}}));
}

TEST(JwsTest, SignThenVerifyWithAGeneratedKey) {
  EcKey key = *EcKey::Generate();
  nlohmann::json header = AcmeProtectedHeader(key, "nonce-1", "https://ca/acct", "");

  absl::StatusOr<std::string> jws = SignJws(key, header, "{\"a\":1}");
  ASSERT_TRUE(jws.ok()) << jws.status();

  // The CA's view: it checks the signature with the jwk from the header itself.
  absl::StatusOr<VerifiedJws> verified = VerifyJws(*jws, nullptr);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->payload, "{\"a\":1}");
  EXPECT_EQ(verified->protected_header, header);

  // Another key must not verify it.
  EcKey other = *EcKey::Generate();
  EXPECT_TRUE(absl::IsPermissionDenied(VerifyJws(*jws, &other).status()));
}

TEST(JwsTest, TamperedPayloadDoesNotVerify) {
  EcKey key = *EcKey::Generate();
  nlohmann::json jws = nlohmann::json::parse(*SignJws(key, {{"alg", "ES256"}}, "pay"));
  jws["payload"] = Base64UrlEncode("pax");

  EXPECT_TRUE(absl::IsPermissionDenied(VerifyJws(jws.dump(), &key).status()));
}

TEST(JwsTest, AcmeHeaderCarriesJwkOrKidNeverBoth) {
  EcKey key = *EcKey::Generate();

  nlohmann::json with_jwk = AcmeProtectedHeader(key, "n1", "https://ca/new-acct", "");
  nlohmann::json with_kid = AcmeProtectedHeader(key, "n2", "https://ca/order", "https://ca/acct/7");

  EXPECT_EQ(with_jwk["alg"], "ES256");
  EXPECT_EQ(with_jwk["nonce"], "n1");
  EXPECT_EQ(with_jwk["url"], "https://ca/new-acct");
  EXPECT_EQ(with_jwk["jwk"], key.PublicJwk());
  EXPECT_FALSE(with_jwk.contains("kid"));
  EXPECT_EQ(with_kid["kid"], "https://ca/acct/7");
  EXPECT_FALSE(with_kid.contains("jwk"));
}

TEST(JwsTest, PostAsGetHasAnEmptyPayload) {
  EcKey key = *EcKey::Generate();

  nlohmann::json jws = nlohmann::json::parse(
      *SignJws(key, AcmeProtectedHeader(key, "n", "https://ca/authz/1", "kid"), ""));

  EXPECT_EQ(jws["payload"], "");  // RFC 8555 section 6.3: empty, not "{}" or "e30"
  EXPECT_TRUE(VerifyJws(jws.dump(), &key).ok());
}

TEST(JwsTest, Rfc7638ThumbprintExample) {
  nlohmann::json jwk = {
      {"kty", "RSA"},
      {"n",
       "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
       "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_F"
       "DW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
       "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
      {"e", "AQAB"},
      {"alg", "RS256"},       // not a required member: must not change the thumbprint
      {"kid", "2011-04-29"},  // neither
  };

  absl::StatusOr<std::string> thumbprint = JwkThumbprint(jwk);

  ASSERT_TRUE(thumbprint.ok()) << thumbprint.status();
  EXPECT_EQ(*thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(JwsTest, EcThumbprintUsesCrvKtyXY) {
  nlohmann::json jwk = kRfcKey;  // the private member d must be left out too
  std::string canonical =
      absl::StrCat(R"({"crv":"P-256","kty":"EC","x":")", kRfcKey["x"].get<std::string>(),
                   R"(","y":")", kRfcKey["y"].get<std::string>(), R"("})");
  nlohmann::json only_required = nlohmann::json::parse(canonical);

  EXPECT_EQ(*JwkThumbprint(jwk), *JwkThumbprint(only_required));
  EXPECT_EQ(*JwkThumbprint(jwk), *JwkThumbprint(RfcPublicKey().PublicJwk()));
}

TEST(JwsTest, ThumbprintRefusesUnknownKtyAndMissingMembers) {
  EXPECT_TRUE(absl::IsInvalidArgument(JwkThumbprint({{"kty", "XYZ"}}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(JwkThumbprint({{"kty", "RSA"}, {"n", "AQAB"}}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(JwkThumbprint(nlohmann::json::array()).status()));
}

TEST(JwsTest, FromJwkRefusesAPointOffTheCurve) {
  nlohmann::json jwk = kRfcKey;
  jwk.erase("d");
  jwk["y"] = kRfcKey["x"];

  EXPECT_FALSE(EcKey::FromJwk(jwk).ok());
}

TEST(JwsTest, PemRoundTripKeepsTheKey) {
  EcKey key = *EcKey::Generate();

  absl::StatusOr<EcKey> again = EcKey::FromPem(key.PrivateKeyPem());

  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->PublicJwk(), key.PublicJwk());
  EXPECT_TRUE(key.VerifyEs256("m", *again->SignEs256("m")));
}

}  // namespace
}  // namespace prevu::proxy::acme

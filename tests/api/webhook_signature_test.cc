// Signature verification: GitHub's documented test vector and Standard Webhooks signatures
// computed here with a different OpenSSL API (EVP_MAC) than the code under test uses.
#include "api/webhook_signature.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace prevu::api {
namespace {

constexpr char kGitHubSecret[] = "It's a Secret to Everybody";
constexpr char kGitHubBody[] = "Hello, World!";
constexpr char kGitHubSignature[] =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

// Base64 of HMAC-SHA256 through EVP_MAC and EVP_EncodeBlock, independent of HmacSha256().
std::string IndependentSignature(const std::string& key, const std::string& message) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                         OSSL_PARAM_construct_end()};
  unsigned char out[32];
  size_t out_size = 0;
  EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params);
  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  EVP_MAC_final(ctx, out, &out_size, sizeof(out));
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);

  unsigned char encoded[64];
  int length = EVP_EncodeBlock(encoded, out, static_cast<int>(out_size));
  return std::string(reinterpret_cast<char*>(encoded), static_cast<size_t>(length));
}

TEST(GitHubSignatureTest, AcceptsGitHubsDocumentedTestVector) {
  EXPECT_TRUE(VerifyGitHubSignature(kGitHubSecret, kGitHubSignature, kGitHubBody).ok());
}

TEST(GitHubSignatureTest, AcceptsUpperCaseHex) {
  std::string upper = "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17";
  EXPECT_TRUE(VerifyGitHubSignature(kGitHubSecret, upper, kGitHubBody).ok());
}

TEST(GitHubSignatureTest, RefusesAnotherBody) {
  absl::Status status = VerifyGitHubSignature(kGitHubSecret, kGitHubSignature, "Hello, World?");
  EXPECT_TRUE(absl::IsUnauthenticated(status));
  EXPECT_NE(status.message().find("does not match"), absl::string_view::npos);
}

TEST(GitHubSignatureTest, RefusesAnotherSecret) {
  EXPECT_TRUE(absl::IsUnauthenticated(
      VerifyGitHubSignature("It's a secret to everybody", kGitHubSignature, kGitHubBody)));
}

TEST(GitHubSignatureTest, RefusesAMissingHeaderNamingTheSetting) {
  absl::Status status = VerifyGitHubSignature(kGitHubSecret, "", kGitHubBody);
  EXPECT_TRUE(absl::IsUnauthenticated(status));
  EXPECT_NE(status.message().find("missing X-Hub-Signature-256"), absl::string_view::npos);
  EXPECT_NE(status.message().find("PREVU_GITHUB_SECRET"), absl::string_view::npos);
}

TEST(GitHubSignatureTest, RefusesMalformedHeaders) {
  for (const char* header :
       {"757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",  // no prefix
        "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1",  // 63 digits
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17a",
        "sha256=z57107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}) {
    absl::Status status = VerifyGitHubSignature(kGitHubSecret, header, kGitHubBody);
    EXPECT_TRUE(absl::IsUnauthenticated(status)) << header;
    EXPECT_NE(status.message().find("64 hex digits"), absl::string_view::npos) << header;
  }
}

TEST(HmacTest, MatchesTheIndependentComputation) {
  std::string mac = HmacSha256("key", "The quick brown fox jumps over the lazy dog");
  ASSERT_EQ(mac.size(), 32u);
  unsigned char encoded[64];
  int length = EVP_EncodeBlock(encoded, reinterpret_cast<const unsigned char*>(mac.data()), 32);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(encoded), static_cast<size_t>(length)),
            IndependentSignature("key", "The quick brown fox jumps over the lazy dog"));
}

TEST(ConstantTimeEqualsTest, ComparesContentsOfAnyLength) {
  EXPECT_TRUE(ConstantTimeEquals("token", "token"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("token", "tokem"));
  EXPECT_FALSE(ConstantTimeEquals("token", "token2"));
  EXPECT_FALSE(ConstantTimeEquals("token", ""));
}

class StandardWebhookTest : public ::testing::Test {
 protected:
  const std::string secret_ = "gitlab-signing-token";
  const std::string id_ = "msg_2b0a3b1c";
  const absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
  const std::string timestamp_ = "1700000000";
  const std::string body_ = R"({"object_kind":"merge_request"})";

  std::string Sign(const std::string& key, const std::string& timestamp) const {
    return absl::StrCat("v1,",
                        IndependentSignature(key, absl::StrCat(id_, ".", timestamp, ".", body_)));
  }
};

TEST_F(StandardWebhookTest, AcceptsAValidSignature) {
  EXPECT_TRUE(
      VerifyStandardWebhook(secret_, id_, timestamp_, Sign(secret_, timestamp_), body_, now_).ok());
}

TEST_F(StandardWebhookTest, AcceptsWhenAnyOfSeveralSignaturesMatches) {
  std::string signatures =
      absl::StrCat("v1,AAAA v1a,xyz ", Sign("old-key", timestamp_), " ", Sign(secret_, timestamp_));
  EXPECT_TRUE(VerifyStandardWebhook(secret_, id_, timestamp_, signatures, body_, now_).ok());
}

TEST_F(StandardWebhookTest, DecodesAWhsecSecretAsTheSpecificationSays) {
  std::string key = "0123456789abcdef0123456789abcdef";
  std::string secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
  EXPECT_TRUE(
      VerifyStandardWebhook(secret, id_, timestamp_, Sign(key, timestamp_), body_, now_).ok());
}

TEST_F(StandardWebhookTest, RefusesAnotherBody) {
  absl::Status status = VerifyStandardWebhook(secret_, id_, timestamp_, Sign(secret_, timestamp_),
                                              R"({"object_kind":"push"})", now_);
  EXPECT_TRUE(absl::IsUnauthenticated(status));
  EXPECT_NE(status.message().find("does not match"), absl::string_view::npos);
}

TEST_F(StandardWebhookTest, RefusesAnotherId) {
  EXPECT_TRUE(absl::IsUnauthenticated(VerifyStandardWebhook(
      secret_, "msg_other", timestamp_, Sign(secret_, timestamp_), body_, now_)));
}

TEST_F(StandardWebhookTest, AcceptsFourMinutesOfSkewAndRefusesMoreThanFive) {
  std::string early = absl::StrCat(1'700'000'000 - 240);
  std::string late = absl::StrCat(1'700'000'000 + 301);
  EXPECT_TRUE(VerifyStandardWebhook(secret_, id_, early, Sign(secret_, early), body_, now_).ok());

  absl::Status status = VerifyStandardWebhook(secret_, id_, late, Sign(secret_, late), body_, now_);
  EXPECT_TRUE(absl::IsUnauthenticated(status));
  EXPECT_NE(status.message().find("301 s away"), absl::string_view::npos) << status;
}

TEST_F(StandardWebhookTest, RefusesMissingIdOrTimestamp) {
  EXPECT_TRUE(absl::IsUnauthenticated(
      VerifyStandardWebhook(secret_, "", timestamp_, Sign(secret_, timestamp_), body_, now_)));
  EXPECT_TRUE(absl::IsUnauthenticated(
      VerifyStandardWebhook(secret_, id_, "yesterday", Sign(secret_, timestamp_), body_, now_)));
}

}  // namespace
}  // namespace prevu::api

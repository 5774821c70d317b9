// The ACME flow against a scripted CA on loopback: the whole order, badNonce retries, Retry-After,
// and the CA's reasons in the errors.
#include "proxy/acme/acme_client.h"

#include <gtest/gtest.h>

#include "proxy/acme/certificate_info.h"
#include "tests/controller/store/temp_dir.h"
#include "tests/proxy/acme/fake_ca.h"

namespace prevu::proxy::acme {
namespace {

using testing::FakeCa;
using testing::FakeCaScript;

class AcmeClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<AcmeClient> Client(const FakeCa& ca, int max_bad_nonce_retries = 10) {
    absl::StatusOr<std::unique_ptr<AcmeClient>> client = AcmeClient::Create({
        .directory_url = ca.directory_url(),
        .email = "ops@example.com",
        .account_key_path = dir_ + "/account.key",
        .challenges = &challenges_,
        .http_timeout = absl::Seconds(5),
        .order_timeout = absl::Seconds(20),
        .max_bad_nonce_retries = max_bad_nonce_retries,
    });
    EXPECT_TRUE(client.ok()) << client.status();
    return std::move(*client);
  }

  controller::store::TempDir temp_;
  std::string dir_ = temp_.path();
  ChallengeStore challenges_;
};

TEST_F(AcmeClientTest, ObtainsACertificateThroughTheWholeFlow) {
  FakeCa ca(&challenges_, {});
  std::unique_ptr<AcmeClient> client = Client(ca);

  absl::StatusOr<IssuedCertificate> issued = client->Issue({"pr-1.example.com"});

  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_TRUE(testing::ChainVerifies(issued->chain_pem, ca.ca().root_pem(), "pr-1.example.com"));
  EXPECT_TRUE(CheckKeyMatchesCertificate(issued->chain_pem, issued->key_pem).ok());

  // The key authorization was published before the CA was told to look, and removed after.
  EXPECT_EQ(ca.challenge_answer(), client->KeyAuthorization("tok-Zm9vYmFy"));
  EXPECT_FALSE(challenges_.Find("tok-Zm9vYmFy").has_value());

  nlohmann::json account = ca.last_account_payload();
  EXPECT_EQ(account["termsOfServiceAgreed"], true);
  EXPECT_EQ(account["contact"], nlohmann::json({"mailto:ops@example.com"}));
  EXPECT_EQ(client->account_url(),
            ca.directory_url().substr(0, ca.directory_url().size() - 4) + "/acct/1");
}

TEST_F(AcmeClientTest, RegistersTheAccountOnceForManyOrders) {
  FakeCa ca(&challenges_, {});
  std::unique_ptr<AcmeClient> client = Client(ca);

  ASSERT_TRUE(client->Issue({"a.example.com"}).ok());
  ASSERT_TRUE(client->Issue({"b.example.com"}).ok());

  EXPECT_EQ(ca.accounts(), 1);
  EXPECT_EQ(ca.orders(), 2);
}

TEST_F(AcmeClientTest, RetriesBadNonceWithTheNonceOfTheRefusal) {
  FakeCa ca(&challenges_, {.bad_nonces = 3});
  std::unique_ptr<AcmeClient> client = Client(ca);

  absl::StatusOr<IssuedCertificate> issued = client->Issue({"pr-2.example.com"});

  ASSERT_TRUE(issued.ok()) << issued.status();
  // Had the client reused a spent nonce, the CA would have refused more than the scripted 3.
  EXPECT_EQ(ca.bad_nonces_sent(), 3);
  EXPECT_EQ(client->bad_nonce_retries(), 3u);
}

TEST_F(AcmeClientTest, GivesUpAfterTheBoundOnBadNonces) {
  FakeCa ca(&challenges_, {.bad_nonces = 1000});
  std::unique_ptr<AcmeClient> client = Client(ca, /*max_bad_nonce_retries=*/2);

  absl::StatusOr<IssuedCertificate> issued = client->Issue({"pr-3.example.com"});

  EXPECT_TRUE(absl::IsAborted(issued.status())) << issued.status();
  EXPECT_NE(issued.status().message().find("invalid anti-replay nonce"), absl::string_view::npos);
  EXPECT_EQ(ca.bad_nonces_sent(), 3);  // the first try and two retries
}

TEST_F(AcmeClientTest, WaitsAsLongAsRetryAfterSaysBeforePollingAgain) {
  FakeCa ca(&challenges_, {.authorization_retry_after = 1});
  std::unique_ptr<AcmeClient> client = Client(ca);

  ASSERT_TRUE(client->Issue({"pr-4.example.com"}).ok());

  // Fetch, first poll (answered "pending, Retry-After: 1"), second poll. Without Retry-After the
  // client would poll again after 250 ms.
  std::vector<absl::Time> polls = ca.authorization_polls();
  ASSERT_EQ(polls.size(), 3u);
  EXPECT_GE(polls[2] - polls[1], absl::Seconds(1));
}

TEST_F(AcmeClientTest, FailedChallengeCarriesTheCasDetail) {
  ChallengeStore elsewhere;  // the CA looks where the client did not publish
  FakeCa ca(&elsewhere, {});
  std::unique_ptr<AcmeClient> client = Client(ca);

  absl::StatusOr<IssuedCertificate> issued = client->Issue({"pr-5.example.com"});

  EXPECT_TRUE(absl::IsPermissionDenied(issued.status())) << issued.status();
  EXPECT_EQ(issued.status().message(),
            "HTTP-01 validation of pr-5.example.com: The key authorization file did not match "
            "this challenge (unauthorized)");
  EXPECT_FALSE(challenges_.Find("tok-Zm9vYmFy").has_value());
}

TEST_F(AcmeClientTest, RefusedOrderCarriesDetailAndRetryAfter) {
  FakeCa ca(&challenges_, {.order_problem = R"({
      "type": "urn:ietf:params:acme:error:rateLimited",
      "detail": "too many certificates already issued for exact set of domains"})",
                           .order_problem_status = 429,
                           .order_retry_after = "3600"});
  std::unique_ptr<AcmeClient> client = Client(ca);

  absl::StatusOr<IssuedCertificate> issued = client->Issue({"pr-6.example.com"});

  EXPECT_TRUE(absl::IsResourceExhausted(issued.status())) << issued.status();
  EXPECT_EQ(issued.status().message(),
            "order for pr-6.example.com: too many certificates already issued for exact set of "
            "domains (rateLimited)");
  EXPECT_EQ(RetryAfterOf(issued.status()), absl::Hours(1));
}

TEST_F(AcmeClientTest, CancelledClientDoesNotOrder) {
  FakeCa ca(&challenges_, {});
  std::unique_ptr<AcmeClient> client = Client(ca);
  client->Cancel();

  EXPECT_TRUE(absl::IsCancelled(client->Issue({"pr-7.example.com"}).status()));
  EXPECT_EQ(ca.orders(), 0);
}

TEST_F(AcmeClientTest, UnreachableCaIsUnavailable) {
  absl::StatusOr<std::unique_ptr<AcmeClient>> client = AcmeClient::Create({
      .directory_url = absl::StrCat("http://127.0.0.1:", proxy::testing::ClosedPort(), "/dir"),
      .account_key_path = dir_ + "/account.key",
      .challenges = &challenges_,
  });
  ASSERT_TRUE(client.ok());

  absl::StatusOr<IssuedCertificate> issued = (*client)->Issue({"pr-8.example.com"});

  EXPECT_TRUE(absl::IsUnavailable(issued.status())) << issued.status();
  EXPECT_NE(issued.status().message().find("connect failed"), absl::string_view::npos);
}

}  // namespace
}  // namespace prevu::proxy::acme

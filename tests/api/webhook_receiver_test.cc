// The receivers' decisions, around the desired store seam (a fake that can fail writes).
#include "api/webhook_receiver.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/api/fake_desired_store.h"
#include "tests/api/fixtures.h"
#include "tests/api/webhook_test_util.h"

namespace prevu::api {
namespace {

using controller::PreviewKey;
using controller::Provider;
using testing::Deliveries;
using testing::Fixture;

constexpr char kSecret[] = "github-secret";
constexpr char kToken[] = "gitlab-token";
const PreviewKey kGitHubKey{Provider::kGitHub, "Codertocat/Hello-World", 2};
const PreviewKey kGitLabKey{Provider::kGitLab, "gitlabhq/gitlab-test", 1};

class WebhookReceiverTest : public ::testing::Test {
 protected:
  WebhookReceiverTest() {
    config_.github.webhook_secret = controller::Secret(kSecret);
    config_.gitlab.webhook_token = controller::Secret(kToken);
    holder_.Set(config_);
  }

  HttpResponse GitHub(const std::string& event, const std::string& body,
                      const std::string& delivery = "d-1") {
    return receiver_.ReceiveGitHub(testing::PostRequest(
        "/hooks/github", testing::GitHubHeaders(kSecret, event, delivery, body), body));
  }

  HttpResponse Opened(const std::string& delivery = "d-1") {
    return GitHub("pull_request", Fixture("github/pull_request.opened.payload.json"), delivery);
  }

  HttpResponse GitLab(const std::string& body, const std::string& uuid = "u-1",
                      testing::Headers extra = {}) {
    testing::Headers headers = testing::GitLabHeaders(kToken, uuid);
    headers.insert(headers.end(), extra.begin(), extra.end());
    return receiver_.ReceiveGitLab(testing::PostRequest("/hooks/gitlab", headers, body));
  }

  static nlohmann::json Json(const HttpResponse& response) {
    return nlohmann::json::parse(response.body);
  }

  controller::HostConfig config_;
  controller::ConfigHolder holder_{config_};
  testing::FakeDesiredStore store_;
  base::MetricsRegistry metrics_;
  base::FakeClock clock_;
  WebhookReceiver receiver_{&holder_, &store_, &metrics_, &clock_};
};

TEST_F(WebhookReceiverTest, AcceptsAnOpenedPullRequest) {
  HttpResponse response = Opened();
  EXPECT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(Json(response)["key"], "github/Codertocat/Hello-World#2");
  EXPECT_EQ(Json(response)["generation"], 1);

  std::optional<controller::Preview> preview = store_.Get(kGitHubKey);
  ASSERT_TRUE(preview.has_value());
  EXPECT_EQ(preview->spec.head_sha, "ec26c3e57ca3a959ca5aad62de7213c562f8c821");
  EXPECT_EQ(preview->spec.clone_url, "https://github.com/Codertocat/Hello-World.git");
  EXPECT_EQ(Deliveries(metrics_, "github", "accepted"), 1);
}

TEST_F(WebhookReceiverTest, WithoutASecretEverythingIsRefusedNamingTheVariable) {
  config_.github.webhook_secret.reset();
  holder_.Set(config_);
  HttpResponse response = Opened();
  EXPECT_EQ(response.status, 401);
  EXPECT_NE(Json(response)["error"].get<std::string>().find("PREVU_GITHUB_SECRET"),
            std::string::npos);
  EXPECT_EQ(store_.writes(), 0);
}

TEST_F(WebhookReceiverTest, ABadSignatureChangesNothing) {
  std::string body = Fixture("github/pull_request.opened.payload.json");
  testing::Headers headers = testing::GitHubHeaders("another secret", "pull_request", "d", body);
  HttpResponse response =
      receiver_.ReceiveGitHub(testing::PostRequest("/hooks/github", headers, body));
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(store_.writes(), 0);
  EXPECT_EQ(Deliveries(metrics_, "github", "unauthorized"), 1);
}

TEST_F(WebhookReceiverTest, TheSignatureIsCheckedBeforeTheBodyIsParsed) {
  testing::Headers headers = testing::GitHubHeaders(kSecret, "pull_request", "d", "{}");
  HttpResponse response =
      receiver_.ReceiveGitHub(testing::PostRequest("/hooks/github", headers, "not json"));
  EXPECT_EQ(response.status, 401);
}

TEST_F(WebhookReceiverTest, AnswersPing) {
  HttpResponse response = GitHub("ping", Fixture("github/ping.payload.json"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(Deliveries(metrics_, "github", "ping"), 1);
}

TEST_F(WebhookReceiverTest, IgnoresOtherEventsWithTheReason) {
  HttpResponse response = GitHub("issues", "{}");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(Json(response)["ignored"],
            "event `issues` is not handled; Prevu acts on `pull_request` only");
  EXPECT_EQ(store_.writes(), 0);
}

TEST_F(WebhookReceiverTest, ARedeliveryIsADuplicateAndChangesNothing) {
  ASSERT_EQ(Opened("same-id").status, 202);
  HttpResponse again = Opened("same-id");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(Json(again)["duplicate"], true);
  EXPECT_EQ(Json(again)["delivery"], "same-id");
  EXPECT_EQ(store_.writes(), 1);
  EXPECT_EQ(Deliveries(metrics_, "github", "duplicate"), 1);
}

TEST_F(WebhookReceiverTest, ANewDeliveryOfTheSameContentKeepsTheGeneration) {
  ASSERT_EQ(Opened("one").status, 202);
  HttpResponse response = Opened("two");
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(Json(response)["generation"], 1);
  EXPECT_EQ(Json(response)["changed"], false);
}

TEST_F(WebhookReceiverTest, MalformedJsonAndMissingFieldsAre400SayingWhich) {
  EXPECT_EQ(Json(GitHub("pull_request", "{\"action\":"))["error"],
            "the body is not valid JSON (byte 10: expected a value)");

  nlohmann::json payload =
      nlohmann::json::parse(Fixture("github/pull_request.opened.payload.json"));
  payload["pull_request"]["head"].erase("sha");
  HttpResponse response = GitHub("pull_request", payload.dump(), "d-2");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Json(response)["error"], "missing field `pull_request.head.sha`");
  EXPECT_EQ(Deliveries(metrics_, "github", "malformed"), 2);
}

TEST_F(WebhookReceiverTest, AFormEncodedPayloadIs400SayingWhatToChange) {
  std::string body = "payload=%7B%7D";
  testing::Headers headers = testing::GitHubHeaders(kSecret, "pull_request", "d", body);
  headers[0].second = "application/x-www-form-urlencoded";
  HttpResponse response =
      receiver_.ReceiveGitHub(testing::PostRequest("/hooks/github", headers, body));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Json(response)["error"],
            "the payload is form-encoded; set the GitHub webhook's content type to "
            "application/json");
}

TEST_F(WebhookReceiverTest, TheAllowListForbidsOtherRepositoriesAndOverridesTheCloneUrl) {
  config_.repos.push_back({.provider = Provider::kGitHub,
                           .name = "Codertocat/Hello-World",
                           .clone_url = "file:///srv/mirror/hello.git"});
  holder_.Set(config_);
  ASSERT_EQ(Opened().status, 202);
  EXPECT_EQ(store_.Get(kGitHubKey)->spec.clone_url, "file:///srv/mirror/hello.git");

  config_.repos.front().name = "acme/shop";
  holder_.Set(config_);  // a reload applies from the next delivery
  HttpResponse response = Opened("d-2");
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(Json(response)["error"],
            "repository `Codertocat/Hello-World` is not in the [[repos]] allow-list of prevu.toml");
}

TEST_F(WebhookReceiverTest, AStoreFailureIs503AndTheRedeliveryIsProcessed) {
  store_.FailWrites(absl::UnavailableError("disk full"));
  HttpResponse response = Opened("retry-me");
  EXPECT_EQ(response.status, 503);
  EXPECT_NE(Json(response)["error"].get<std::string>().find("disk full"), std::string::npos);

  store_.FailWrites(absl::OkStatus());
  EXPECT_EQ(Opened("retry-me").status, 202);
}

TEST_F(WebhookReceiverTest, ClosedClosesThePreview) {
  ASSERT_EQ(Opened().status, 202);
  HttpResponse response =
      GitHub("pull_request", Fixture("github/pull_request.closed.payload.json"), "d-2");
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(Json(response)["generation"], 2);
  EXPECT_FALSE(store_.Get(kGitHubKey)->spec.open);
}

TEST_F(WebhookReceiverTest, ClosingAnUnknownRequestIsIgnored) {
  HttpResponse response =
      GitHub("pull_request", Fixture("github/pull_request.closed.payload.json"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(Json(response)["ignored"],
            "no preview for github/Codertocat/Hello-World#2; nothing to close");
}

TEST_F(WebhookReceiverTest, RecordsRefusedDeliveries) {
  HttpRequest head;
  head.AddHeader("X-GitHub-Delivery", "big");
  receiver_.RecordRefused(Provider::kGitHub, head, HttpResponse::Error(413, "too large"));
  EXPECT_EQ(Deliveries(metrics_, "github", "too_large"), 1);
}

TEST_F(WebhookReceiverTest, GitLabOpenIsAccepted) {
  HttpResponse response = GitLab(Fixture("gitlab/merge_request.open.gitlab-docs.json"));
  EXPECT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(Json(response)["key"], "gitlab/gitlabhq/gitlab-test#1");
  EXPECT_TRUE(store_.Get(kGitLabKey).has_value());
  EXPECT_EQ(Deliveries(metrics_, "gitlab", "accepted"), 1);
}

TEST_F(WebhookReceiverTest, GitLabWithoutTokenConfiguredNamesTheVariable) {
  config_.gitlab.webhook_token.reset();
  holder_.Set(config_);
  HttpResponse response = GitLab(Fixture("gitlab/merge_request.open.gitlab-docs.json"));
  EXPECT_EQ(response.status, 401);
  EXPECT_NE(Json(response)["error"].get<std::string>().find("PREVU_GITLAB_TOKEN"),
            std::string::npos);
}

TEST_F(WebhookReceiverTest, GitLabRefusesAMissingOrWrongToken) {
  std::string body = Fixture("gitlab/merge_request.open.gitlab-docs.json");
  HttpRequest request = testing::PostRequest("/hooks/gitlab", {{"X-Gitlab-Event", "x"}}, body);
  EXPECT_NE(Json(receiver_.ReceiveGitLab(request))["error"].get<std::string>().find("missing"),
            std::string::npos);
  request.AddHeader("X-Gitlab-Token", "gitlab-tokeN");
  HttpResponse response = receiver_.ReceiveGitLab(request);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(Json(response)["error"], "X-Gitlab-Token does not match PREVU_GITLAB_TOKEN");
  EXPECT_EQ(store_.writes(), 0);
}

TEST_F(WebhookReceiverTest, GitLabChecksAStandardWebhooksSignatureWhenPresent) {
  std::string body = Fixture("gitlab/merge_request.open.gitlab-docs.json");
  std::string timestamp = absl::StrCat(absl::ToUnixSeconds(clock_.Now()));
  std::string signature = absl::StrCat(
      "v1,", absl::Base64Escape(HmacSha256(kToken, absl::StrCat("msg-1.", timestamp, ".", body))));
  testing::Headers signed_headers = {
      {"webhook-id", "msg-1"}, {"webhook-timestamp", timestamp}, {"webhook-signature", signature}};
  EXPECT_EQ(GitLab(body, "u-1", signed_headers).status, 202);

  // The same signature, replayed six minutes later, is refused.
  clock_.Advance(absl::Minutes(6));
  HttpResponse late = GitLab(body, "u-2", signed_headers);
  EXPECT_EQ(late.status, 401);
  EXPECT_NE(Json(late)["error"].get<std::string>().find("360 s away"), std::string::npos);

  signed_headers[1].second = absl::StrCat(absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(GitLab(body, "u-3", signed_headers).status, 401);
}

TEST_F(WebhookReceiverTest, GitLabDeduplicatesByIdempotencyKeyThenEventUuid) {
  std::string body = Fixture("gitlab/merge_request.open.gitlab-docs.json");
  ASSERT_EQ(GitLab(body, "uuid-1", {{"Idempotency-Key", "key-1"}}).status, 202);
  HttpResponse by_key = GitLab(body, "uuid-2", {{"Idempotency-Key", "key-1"}});
  EXPECT_EQ(Json(by_key)["duplicate"], true);

  ASSERT_EQ(GitLab(body, "uuid-3").status, 202);
  EXPECT_EQ(Json(GitLab(body, "uuid-3"))["duplicate"], true);
  EXPECT_EQ(store_.writes(), 2);
}

TEST_F(WebhookReceiverTest, GitLabMergeClosesAndApprovalIsIgnored) {
  nlohmann::json payload =
      nlohmann::json::parse(Fixture("gitlab/merge_request.open.gitlab-docs.json"));
  ASSERT_EQ(GitLab(payload.dump(), "u-1").status, 202);

  payload["object_attributes"]["action"] = "approved";
  HttpResponse approved = GitLab(payload.dump(), "u-2");
  EXPECT_EQ(approved.status, 200);
  EXPECT_EQ(Json(approved)["ignored"], "action `approved` does not change what a preview runs");

  payload["object_attributes"]["action"] = "merge";
  EXPECT_EQ(GitLab(payload.dump(), "u-3").status, 202);
  EXPECT_FALSE(store_.Get(kGitLabKey)->spec.open);
}

TEST_F(WebhookReceiverTest, GitLabUpdateWithoutANewCommitKeepsTheGeneration) {
  nlohmann::json payload =
      nlohmann::json::parse(Fixture("gitlab/merge_request.open.gitlab-docs.json"));
  ASSERT_EQ(GitLab(payload.dump(), "u-1").status, 202);

  payload["object_attributes"]["action"] = "update";
  payload["object_attributes"]["title"] = "Renamed";
  HttpResponse renamed = GitLab(payload.dump(), "u-2");
  EXPECT_EQ(Json(renamed)["generation"], 1);

  payload["object_attributes"]["oldrev"] = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7";
  payload["object_attributes"]["last_commit"]["id"] = "1111111111111111111111111111111111111111";
  HttpResponse pushed = GitLab(payload.dump(), "u-3");
  EXPECT_EQ(Json(pushed)["generation"], 2);
  EXPECT_EQ(store_.Get(kGitLabKey)->spec.title, "Renamed");
}

}  // namespace
}  // namespace prevu::api

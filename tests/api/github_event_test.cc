// Parsing of every GitHub payload in tests/fixtures/webhooks/github/ and of broken variants.
#include "api/github_event.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/api/fixtures.h"

namespace prevu::api {
namespace {

using testing::Fixture;
using Kind = WebhookEvent::Kind;

constexpr char kSha[] = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

struct PullRequestCase {
  const char* file;
  const char* action;
  Kind kind;
};

class GitHubFixtureTest : public ::testing::TestWithParam<PullRequestCase> {};

TEST_P(GitHubFixtureTest, ReadsKeyShaRefTitleAuthorCloneUrlAndAction) {
  absl::StatusOr<WebhookEvent> event =
      ParseGitHubEvent("pull_request", Fixture(std::string("github/") + GetParam().file));
  ASSERT_TRUE(event.ok()) << event.status();

  EXPECT_EQ(event->kind, GetParam().kind);
  EXPECT_EQ(event->action, GetParam().action);
  EXPECT_EQ(event->key.ToString(), "github/Codertocat/Hello-World#2");
  if (GetParam().kind == Kind::kUpsert) {
    EXPECT_EQ(event->update.head_sha, kSha);
    EXPECT_EQ(event->update.head_ref, "changes");
    EXPECT_EQ(event->update.base_ref, "master");
    EXPECT_EQ(event->update.title, "Update the README with new information.");
    EXPECT_EQ(event->update.author, "Codertocat");
    EXPECT_EQ(event->update.clone_url, "https://github.com/Codertocat/Hello-World.git");
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryPullRequestPayload, GitHubFixtureTest,
    ::testing::Values(
        PullRequestCase{"pull_request.opened.payload.json", "opened", Kind::kUpsert},
        PullRequestCase{"pull_request.opened.with-organization.payload.json", "opened",
                        Kind::kUpsert},
        PullRequestCase{"pull_request.reopened.payload.json", "reopened", Kind::kUpsert},
        PullRequestCase{"pull_request.synchronize.payload.json", "synchronize", Kind::kUpsert},
        PullRequestCase{"pull_request.closed.payload.json", "closed", Kind::kClose}));

TEST(GitHubEventTest, PingPayloadsArePings) {
  for (const char* file :
       {"github/ping.payload.json", "github/ping.with-organization.payload.json"}) {
    absl::StatusOr<WebhookEvent> event = ParseGitHubEvent("ping", Fixture(file));
    ASSERT_TRUE(event.ok()) << file;
    EXPECT_EQ(event->kind, Kind::kPing) << file;
  }
}

TEST(GitHubEventTest, EditedIsAnUpsertSoTheTitleIsRecorded) {
  nlohmann::json payload =
      nlohmann::json::parse(Fixture("github/pull_request.opened.payload.json"));
  payload["action"] = "edited";
  payload["pull_request"]["title"] = "A better title";
  absl::StatusOr<WebhookEvent> event = ParseGitHubEvent("pull_request", payload.dump());
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->kind, Kind::kUpsert);
  EXPECT_EQ(event->update.title, "A better title");
}

TEST(GitHubEventTest, EditingAClosedRequestDoesNotReopenIt) {
  nlohmann::json payload =
      nlohmann::json::parse(Fixture("github/pull_request.closed.payload.json"));
  payload["action"] = "edited";
  absl::StatusOr<WebhookEvent> event = ParseGitHubEvent("pull_request", payload.dump());
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->kind, Kind::kIgnore);
  EXPECT_EQ(event->reason, "the request is closed; `edited` does not reopen its preview");
}

TEST(GitHubEventTest, OtherActionsAreIgnoredWithTheReason) {
  nlohmann::json payload =
      nlohmann::json::parse(Fixture("github/pull_request.opened.payload.json"));
  payload["action"] = "labeled";
  absl::StatusOr<WebhookEvent> event = ParseGitHubEvent("pull_request", payload.dump());
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->kind, Kind::kIgnore);
  EXPECT_EQ(event->reason, "action `labeled` does not change what a preview runs");
}

TEST(GitHubEventTest, OtherEventsAreIgnoredWithoutReadingTheBody) {
  absl::StatusOr<WebhookEvent> event = ParseGitHubEvent("push", "not even JSON");
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->kind, Kind::kIgnore);
  EXPECT_NE(event->reason.find("event `push` is not handled"), std::string::npos);
}

TEST(GitHubEventTest, AMissingEventHeaderIsAnError) {
  absl::StatusOr<WebhookEvent> event = ParseGitHubEvent("", "{}");
  EXPECT_EQ(event.status().message(), "missing X-GitHub-Event header");
}

TEST(GitHubEventTest, MalformedJsonIsAnError) {
  absl::StatusOr<WebhookEvent> event = ParseGitHubEvent("pull_request", "{\"action\": ");
  EXPECT_TRUE(absl::IsInvalidArgument(event.status()));
  EXPECT_EQ(event.status().message(), "the body is not valid JSON (byte 11: expected a value)");
}

TEST(GitHubEventTest, NamesEveryMissingField) {
  nlohmann::json payload =
      nlohmann::json::parse(Fixture("github/pull_request.opened.payload.json"));
  payload["pull_request"]["head"].erase("sha");
  payload.erase("number");
  absl::StatusOr<WebhookEvent> event = ParseGitHubEvent("pull_request", payload.dump());
  EXPECT_TRUE(absl::IsInvalidArgument(event.status()));
  EXPECT_EQ(event.status().message(),
            "missing field `number`; missing field `pull_request.head.sha`");
}

TEST(GitHubEventTest, RefusesAShaThatIsNotACommitId) {
  nlohmann::json payload =
      nlohmann::json::parse(Fixture("github/pull_request.opened.payload.json"));
  payload["pull_request"]["head"]["sha"] = "--upload-pack=evil";
  absl::StatusOr<WebhookEvent> event = ParseGitHubEvent("pull_request", payload.dump());
  EXPECT_EQ(event.status().message(),
            "field `pull_request.head.sha` must be a full commit id of 40 or 64 hex digits");
}

TEST(GitHubEventTest, RefusesARepositoryNameThatCouldEscapeAPath) {
  nlohmann::json payload =
      nlohmann::json::parse(Fixture("github/pull_request.closed.payload.json"));
  payload["repository"]["full_name"] = "acme/../../etc";
  absl::StatusOr<WebhookEvent> event = ParseGitHubEvent("pull_request", payload.dump());
  EXPECT_TRUE(absl::IsInvalidArgument(event.status()));
  EXPECT_NE(event.status().message().find("`repository.full_name`"), absl::string_view::npos);
}

TEST(GitHubEventTest, ACloseNeedsOnlyTheKey) {
  nlohmann::json payload = {
      {"action", "closed"}, {"number", 7}, {"repository", {{"full_name", "acme/shop"}}}};
  absl::StatusOr<WebhookEvent> event = ParseGitHubEvent("pull_request", payload.dump());
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->kind, Kind::kClose);
  EXPECT_EQ(event->key.ToString(), "github/acme/shop#7");
}

TEST(GitHubEventTest, ForkRequestsUseTheBaseRepositorysCloneUrl) {
  nlohmann::json payload =
      nlohmann::json::parse(Fixture("github/pull_request.opened.payload.json"));
  payload["pull_request"]["head"]["repo"]["clone_url"] =
      "https://github.com/forker/Hello-World.git";
  absl::StatusOr<WebhookEvent> event = ParseGitHubEvent("pull_request", payload.dump());
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->update.clone_url, "https://github.com/Codertocat/Hello-World.git");
}

}  // namespace
}  // namespace prevu::api

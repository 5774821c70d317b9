// Parsing of every GitLab payload in tests/fixtures/webhooks/gitlab/ and of variants.
#include "api/gitlab_event.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/api/fixtures.h"

namespace prevu::api {
namespace {

using testing::Fixture;
using Kind = WebhookEvent::Kind;

constexpr char kEvent[] = "Merge Request Hook";

nlohmann::json OpenPayload() {
  return nlohmann::json::parse(Fixture("gitlab/merge_request.open.gitlab-docs.json"));
}

struct OpenCase {
  const char* file;
  const char* author;
};

class GitLabOpenFixtureTest : public ::testing::TestWithParam<OpenCase> {};

TEST_P(GitLabOpenFixtureTest, ReadsKeyShaRefTitleAuthorCloneUrlAndAction) {
  absl::StatusOr<WebhookEvent> event =
      ParseGitLabEvent(kEvent, Fixture(std::string("gitlab/") + GetParam().file));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->kind, Kind::kUpsert);
  EXPECT_EQ(event->action, "open");
  EXPECT_EQ(event->key.ToString(), "gitlab/gitlabhq/gitlab-test#1");
  EXPECT_EQ(event->update.head_sha, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
  EXPECT_EQ(event->update.head_ref, "ms-viewport");
  EXPECT_EQ(event->update.base_ref, "master");
  EXPECT_EQ(event->update.title, "MS-Viewport");
  EXPECT_EQ(event->update.author, GetParam().author);
  EXPECT_EQ(event->update.clone_url, "http://example.com/gitlabhq/gitlab-test.git");
}

INSTANTIATE_TEST_SUITE_P(EveryOpenPayload, GitLabOpenFixtureTest,
                         ::testing::Values(OpenCase{"merge_request.open.gitlab-docs.json", "root"},
                                           OpenCase{"merge_request.go-gitlab.json", "user1"}));

// go-gitlab's group example has keys with trailing spaces ("iid "): as GitLab would never send
// it, the field is missing, and the answer says which one.
TEST(GitLabEventTest, GoGitlabsGroupMergeExampleLacksTheIid) {
  absl::StatusOr<WebhookEvent> event =
      ParseGitLabEvent(kEvent, Fixture("gitlab/group_merge_request.go-gitlab.json"));
  EXPECT_TRUE(absl::IsInvalidArgument(event.status()));
  EXPECT_EQ(event.status().message(), "missing field `object_attributes.iid`");
}

TEST(GitLabEventTest, TheGroupMergeExampleIsACloseOnceItsIidIsThere) {
  nlohmann::json payload =
      nlohmann::json::parse(Fixture("gitlab/group_merge_request.go-gitlab.json"));
  payload["object_attributes"]["iid"] = 1402;
  absl::StatusOr<WebhookEvent> event = ParseGitLabEvent(kEvent, payload.dump());
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->kind, Kind::kClose);
  EXPECT_EQ(event->action, "merge");
  EXPECT_EQ(event->key.ToString(), "gitlab/exm-namespace/example-project#1402");
}

TEST(GitLabEventTest, NestedGroupPathsAreKeptWhole) {
  nlohmann::json payload = OpenPayload();
  payload["project"]["path_with_namespace"] = "platform/web/storefront";
  payload["object_attributes"]["iid"] = 12;
  absl::StatusOr<WebhookEvent> event = ParseGitLabEvent(kEvent, payload.dump());
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->key.repo, "platform/web/storefront");
  EXPECT_EQ(event->key.ToString(), "gitlab/platform/web/storefront#12");
}

TEST(GitLabEventTest, MapsEveryActionWord) {
  struct Case {
    const char* action;
    Kind kind;
  };
  for (Case c :
       {Case{"open", Kind::kUpsert}, Case{"reopen", Kind::kUpsert}, Case{"update", Kind::kUpsert},
        Case{"close", Kind::kClose}, Case{"merge", Kind::kClose}, Case{"approved", Kind::kIgnore},
        Case{"unapproved", Kind::kIgnore}}) {
    nlohmann::json payload = OpenPayload();
    payload["object_attributes"]["action"] = c.action;
    absl::StatusOr<WebhookEvent> event = ParseGitLabEvent(kEvent, payload.dump());
    ASSERT_TRUE(event.ok()) << c.action << ": " << event.status();
    EXPECT_EQ(event->kind, c.kind) << c.action;
    EXPECT_EQ(event->action, c.action);
  }
}

TEST(GitLabEventTest, AnUpdateWithANewCommitCarriesIt) {
  nlohmann::json payload = OpenPayload();
  payload["object_attributes"]["action"] = "update";
  payload["object_attributes"]["oldrev"] = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7";
  payload["object_attributes"]["last_commit"]["id"] = "0123456789ABCDEF0123456789abcdef01234567";
  absl::StatusOr<WebhookEvent> event = ParseGitLabEvent(kEvent, payload.dump());
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->update.head_sha, "0123456789abcdef0123456789abcdef01234567");
}

TEST(GitLabEventTest, AnUpdateOfAClosedRequestDoesNotReopenIt) {
  nlohmann::json payload = OpenPayload();
  payload["object_attributes"]["action"] = "update";
  payload["object_attributes"]["state"] = "closed";
  absl::StatusOr<WebhookEvent> event = ParseGitLabEvent(kEvent, payload.dump());
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->kind, Kind::kIgnore);
  EXPECT_EQ(event->reason, "the request is closed; `update` does not reopen its preview");
}

TEST(GitLabEventTest, OtherEventsAreIgnored) {
  absl::StatusOr<WebhookEvent> event = ParseGitLabEvent("Push Hook", "{}");
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->kind, Kind::kIgnore);
  EXPECT_NE(event->reason.find("`Push Hook` is not handled"), std::string::npos);
}

TEST(GitLabEventTest, NamesMissingFields) {
  nlohmann::json payload = OpenPayload();
  payload["object_attributes"].erase("last_commit");
  payload["project"].erase("git_http_url");
  absl::StatusOr<WebhookEvent> event = ParseGitLabEvent(kEvent, payload.dump());
  EXPECT_EQ(event.status().message(),
            "missing field `project.git_http_url`; missing field "
            "`object_attributes.last_commit.id`");
}

TEST(GitLabEventTest, AMissingEventHeaderIsAnError) {
  EXPECT_EQ(ParseGitLabEvent("", "{}").status().message(), "missing X-Gitlab-Event header");
}

}  // namespace
}  // namespace prevu::api

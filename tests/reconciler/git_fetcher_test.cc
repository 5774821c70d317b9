// Unit tests of the git fetcher around its seam, the git program: which refs it asks for, the
// environment it passes, and that a token never shows on a command line or in a message.
#include "reconciler/git/git_fetcher.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace prevu::reconciler::git {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSha[] = "0123456789abcdef0123456789abcdef01234567";
constexpr char kToken[] = "ghs_S3cr3tT0k3nValue";

FetchRequest Request() {
  FetchRequest request;
  request.url = "https://github.com/acme/shop.git";
  request.sha = kSha;
  request.number = 12;
  request.head_ref = "feature/login";
  request.token = controller::Secret(kToken);
  return request;
}

std::string ReadAll(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(CandidateRefs, TheCommitThenTheForgeRefThenTheBranch) {
  FetchRequest request = Request();
  EXPECT_THAT(CandidateRefs(request),
              ElementsAre(kSha, "refs/pull/12/head", "refs/heads/feature/login"));
  request.provider = controller::Provider::kGitLab;
  EXPECT_THAT(CandidateRefs(request),
              ElementsAre(kSha, "refs/merge-requests/12/head", "refs/heads/feature/login"));
}

TEST(CandidateRefs, SkipsBranchNamesThatCouldBeOptionsOrRefspecs) {
  for (const char* branch : {"", "--upload-pack=x", "a:b", "a..b", "a b"}) {
    FetchRequest request = Request();
    request.number = 0;
    request.head_ref = branch;
    EXPECT_THAT(CandidateRefs(request), ElementsAre(kSha)) << branch;
  }
}

TEST(Scrub, RemovesTheTokenItsHeaderFormAndUrlCredentials) {
  FetchRequest request = Request();
  std::string basic = absl::Base64Escape(std::string("x-access-token:") + kToken);
  std::string text = std::string("fatal: token ") + kToken + " header Basic " + basic +
                     " url https://user:pass@example.com/a.git and ssh://git@host/x";
  std::string scrubbed = Scrub(text, request);
  EXPECT_THAT(scrubbed, Not(HasSubstr(kToken)));
  EXPECT_THAT(scrubbed, Not(HasSubstr(basic)));
  EXPECT_THAT(scrubbed, Not(HasSubstr("user:pass")));
  EXPECT_THAT(scrubbed, HasSubstr("https://<redacted>@example.com/a.git"));
  EXPECT_THAT(scrubbed, HasSubstr("ssh://<redacted>@host/x"));
}

TEST(Environment, CarriesTheTokenInScopedConfigurationOnly) {
  GitFetcher fetcher(GitFetcher::Options{.config = {{"protocol.version", "2"}}});
  std::vector<std::string> env = fetcher.Environment(Request());
  std::string basic = absl::Base64Escape(std::string("x-access-token:") + kToken);
  EXPECT_THAT(env, Contains("GIT_TERMINAL_PROMPT=0"));
  EXPECT_THAT(env, Contains("GIT_CONFIG_COUNT=2"));
  EXPECT_THAT(env, Contains("GIT_CONFIG_KEY_0=protocol.version"));
  EXPECT_THAT(env, Contains("GIT_CONFIG_KEY_1=http.https://github.com/.extraHeader"));
  EXPECT_THAT(env, Contains("GIT_CONFIG_VALUE_1=Authorization: Basic " + basic));
}

TEST(Fetch, RefusesBadRequestsBeforeRunningAnything) {
  GitFetcher fetcher(GitFetcher::Options{.git = "/nonexistent/git"});
  CancelToken cancel;
  FetchRequest request = Request();
  request.dir = "/tmp/prevu-never-created";

  FetchRequest ext = request;
  ext.url = "ext::sh -c touch% /tmp/pwned";
  EXPECT_EQ(fetcher.Fetch(ext, cancel).code(), absl::StatusCode::kInvalidArgument);
  FetchRequest short_sha = request;
  short_sha.sha = "0123456";
  EXPECT_THAT(fetcher.Fetch(short_sha, cancel).message(), HasSubstr("not a full commit id"));
  FetchRequest plain_http = request;
  plain_http.url = "http://example.com/a.git";
  EXPECT_THAT(fetcher.Fetch(plain_http, cancel).message(), HasSubstr("only ever sent over"));
  EXPECT_FALSE(std::filesystem::exists(request.dir));
}

// A stand-in for git that records how it was called, prints the secrets it was given (as a
// server echoing a header might), and fails.
TEST(Fetch, TheTokenIsNeverOnTheCommandLineOrInTheError) {
  char pattern[] = "/tmp/prevu-fakegit-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  std::string root = pattern;
  std::string script = root + "/git";
  std::ofstream(script) << "#!/bin/sh\n"
                        << "echo \"$@\" >> " << root << "/argv\n"
                        << "echo \"fatal: denied: $GIT_CONFIG_VALUE_0\" >&2\n"
                        << "exit 128\n";
  ASSERT_EQ(chmod(script.c_str(), 0755), 0);

  GitFetcher fetcher(GitFetcher::Options{.git = script});
  FetchRequest request = Request();
  request.dir = root + "/checkout";
  CancelToken cancel;
  absl::Status status = fetcher.Fetch(request, cancel);

  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("fatal: denied: Authorization: Basic <redacted>"));
  EXPECT_THAT(status.message(), Not(HasSubstr(kToken)));
  std::string argv = ReadAll(root + "/argv");
  EXPECT_THAT(argv, HasSubstr("init"));
  EXPECT_THAT(argv, Not(HasSubstr("Authorization")));
  EXPECT_FALSE(std::filesystem::exists(request.dir));
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace prevu::reconciler::git

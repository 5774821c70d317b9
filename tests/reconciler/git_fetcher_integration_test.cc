// The git fetcher against real git and local bare repositories made for each test.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reconciler/git/git_fetcher.h"
#include "reconciler/git/git_source_fetcher.h"

namespace prevu::reconciler::git {
namespace {

using ::testing::HasSubstr;

// Runs a shell command of the test's own setup and returns its trimmed output.
std::string Shell(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  char buffer[256];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) {
    output += buffer;
  }
  EXPECT_EQ(pclose(pipe), 0) << command;
  return std::string(absl::StripAsciiWhitespace(output));
}

std::string ReadAll(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// A bare repository with: main at `second_` (after `first_`), and `pull_` reachable only from
// refs/pull/7/head.
class GitFetcherIntegrationTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/prevu-git-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    std::string git =
        "git -c user.name=Test -c user.email=test@example.com -c init.defaultBranch=main";
    std::string work = root_ + "/work";
    Shell(absl::StrCat(git, " init -q ", work, " && ", git, " init -q --bare ", root_,
                       "/origin.git"));
    first_ = Commit(git, work, "first");
    second_ = Commit(git, work, "second");
    Shell(absl::StrCat("cd ", work, " && ", git, " push -q ", root_, "/origin.git main"));
    Shell(absl::StrCat("cd ", work, " && ", git, " checkout -q -b fork"));
    pull_ = Commit(git, work, "from a fork");
    Shell(absl::StrCat("cd ", work, " && ", git, " push -q ", root_,
                       "/origin.git fork:refs/pull/7/head"));
    url_ = absl::StrCat("file://", root_, "/origin.git");
  }

  void TearDown() override { std::filesystem::remove_all(root_); }

  std::string Commit(const std::string& git, const std::string& work, const std::string& text) {
    std::ofstream(work + "/app.txt") << text;
    Shell(absl::StrCat("cd ", work, " && ", git, " add app.txt && ", git, " commit -q -m '", text,
                       "'"));
    return Shell(absl::StrCat("git -C ", work, " rev-parse HEAD"));
  }

  FetchRequest Request(const std::string& sha) {
    FetchRequest request;
    request.url = url_;
    request.sha = sha;
    request.number = 7;
    request.head_ref = "main";
    request.dir = root_ + "/checkout";
    return request;
  }

  std::string root_;
  std::string url_;
  std::string first_;
  std::string second_;
  std::string pull_;
  CancelToken cancel_;
};

// Protocol version 0 refuses to serve commits that no ref advertises, as many servers do.
GitFetcher::Options StrictServer() { return {.config = {{"protocol.version", "0"}}}; }

TEST_F(GitFetcherIntegrationTest, FetchesABranchTipBySha) {
  GitFetcher fetcher({});
  ASSERT_TRUE(fetcher.Fetch(Request(second_), cancel_).ok());
  EXPECT_EQ(ReadAll(root_ + "/checkout/app.txt"), "second");
  EXPECT_EQ(Shell("git -C " + root_ + "/checkout rev-parse HEAD"), second_);
  EXPECT_EQ(Shell("git -C " + root_ + "/checkout rev-list --count HEAD"), "1");  // shallow
}

// `prevu serve` with the default `[state] dir = "./prevu-data"` fetches into a relative path.
TEST_F(GitFetcherIntegrationTest, FetchesIntoARelativeDirectory) {
  std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::current_path(root_);
  FetchRequest request = Request(second_);
  request.dir = "relative-checkout";
  absl::Status fetched = GitFetcher({}).Fetch(request, cancel_);
  std::filesystem::current_path(before);
  ASSERT_TRUE(fetched.ok()) << fetched;
  EXPECT_EQ(ReadAll(root_ + "/relative-checkout/app.txt"), "second");
}

TEST_F(GitFetcherIntegrationTest, FetchesACommitThatOnlyAPullRequestRefHas) {
  GitFetcher fetcher({});
  ASSERT_TRUE(fetcher.Fetch(Request(pull_), cancel_).ok());
  EXPECT_EQ(ReadAll(root_ + "/checkout/app.txt"), "from a fork");
}

// Servers that refuse every fetch by commit id exist; real git behind a wrapper that refuses
// them the way upload-pack does stands in for one.
TEST_F(GitFetcherIntegrationTest, FallsBackToThePullRequestRefWhenAShaIsRefused) {
  std::string wrapper = root_ + "/refusing-git";
  std::ofstream(wrapper) << "#!/bin/sh\n"
                         << "fetching=no\n"
                         << "for a in \"$@\"; do\n"
                         << "  [ \"$a\" = fetch ] && fetching=yes\n"
                         << "  if [ $fetching = yes ] && [ ${#a} -eq 40 ]; then\n"
                         << "    echo \"fatal: remote error: upload-pack: not our ref $a\" >&2\n"
                         << "    exit 128\n"
                         << "  fi\n"
                         << "done\n"
                         << "exec git \"$@\"\n";
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
  GitFetcher fetcher({.git = wrapper});

  FetchRequest without_ref = Request(pull_);
  without_ref.number = 0;
  absl::Status refused = fetcher.Fetch(without_ref, cancel_);
  EXPECT_EQ(refused.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(refused.message(), HasSubstr("not our ref"));

  absl::Status status = fetcher.Fetch(Request(pull_), cancel_);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(ReadAll(root_ + "/checkout/app.txt"), "from a fork");
  EXPECT_EQ(Shell("git -C " + root_ + "/checkout rev-parse HEAD"), pull_);
}

TEST_F(GitFetcherIntegrationTest, TheLoopsSourceFetcherFetchesThroughGit) {
  GitSourceFetcher fetcher({});
  SourceRequest request{
      .clone_url = url_, .sha = pull_, .ref = "main", .number = 7, .dest_dir = root_ + "/checkout"};
  ASSERT_TRUE(fetcher.Fetch(request, cancel_).ok());
  EXPECT_EQ(ReadAll(root_ + "/checkout/app.txt"), "from a fork");
}

TEST_F(GitFetcherIntegrationTest, ARefThatMovedOnIsNotTheWantedCommit) {
  GitFetcher fetcher(StrictServer());
  FetchRequest request = Request(first_);
  request.number = 0;
  absl::Status status = fetcher.Fetch(request, cancel_);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("a newer push may have replaced it"));
  EXPECT_FALSE(std::filesystem::exists(request.dir));
}

TEST_F(GitFetcherIntegrationTest, AnUnknownCommitLeavesNothingBehind) {
  GitFetcher fetcher({});
  FetchRequest request = Request(std::string(40, 'a'));
  absl::Status status = fetcher.Fetch(request, cancel_);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("git could not fetch commit aaaaaaaaaaaa"));
  EXPECT_FALSE(std::filesystem::exists(request.dir));
}

TEST_F(GitFetcherIntegrationTest, AnExistingDirectoryIsRefused) {
  GitFetcher fetcher({});
  FetchRequest request = Request(second_);
  std::filesystem::create_directory(request.dir);
  EXPECT_EQ(fetcher.Fetch(request, cancel_).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(GitFetcherIntegrationTest, ATimeoutStopsGitAndCleansUp) {
  GitFetcher fetcher({.timeout = absl::ZeroDuration()});
  FetchRequest request = Request(second_);
  EXPECT_EQ(fetcher.Fetch(request, cancel_).code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(std::filesystem::exists(request.dir));
}

TEST_F(GitFetcherIntegrationTest, CancellationStopsGit) {
  GitFetcher fetcher({});
  cancel_.Cancel();
  FetchRequest request = Request(second_);
  EXPECT_EQ(fetcher.Fetch(request, cancel_).code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(std::filesystem::exists(request.dir));
}

}  // namespace
}  // namespace prevu::reconciler::git

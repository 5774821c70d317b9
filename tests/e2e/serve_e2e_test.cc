// End-to-end: the `prevu` binary with a real Docker daemon, real git repositories and real HTTP
// clients. A webhook becomes a preview served through the proxy; a push is swapped in without a
// failed request; a close removes everything; a SIGKILL mid-build loses and duplicates nothing;
// SIGHUP reloads the configuration.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/e2e_support.h"
#include "tests/e2e/serve_fixture.h"

namespace prevu::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using ServeE2eTest = ServeFixture;

// Requests the host every 50 ms on a thread, counting every answer that is not a 200.
class SteadyClient {
 public:
  SteadyClient(int port, std::string host) : port_(port), host_(std::move(host)) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~SteadyClient() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  int requests() const { return requests_; }
  int failures() const { return failures_; }
  // True once a 200 answer held the text given to Expect().
  bool saw_expected() const { return saw_new_; }
  const std::string& first_failure() const { return first_failure_; }
  void Expect(std::string text) { expected_ = std::move(text); }

 private:
  void Loop() {
    while (!stop_) {
      HttpResult result = Http(port_, "GET", host_, "/");
      ++requests_;
      if (result.status != 200) {
        if (failures_++ == 0) {
          first_failure_ = absl::StrCat("status ", result.status, " ", result.error, " ",
                                        result.body.substr(0, 200));
        }
      } else if (!expected_.empty() && absl::StrContains(result.body, expected_)) {
        saw_new_ = true;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
  }

  int port_;
  std::string host_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> failures_{0};
  std::atomic<bool> saw_new_{false};
  std::string expected_;  // set before the push, read by the thread after
  std::string first_failure_;
};

TEST_F(ServeE2eTest, GitHubPullRequestIsBuiltServedSwappedAndRemoved) {
  const std::string key = "github/e2e/lifecycle#1";
  const std::string api_path = "github/e2e/lifecycle/1";
  OwnKey(key);
  StartPrevu(Config());

  TempDir repo_dir;
  GitRemote remote(repo_dir.path(), kExample, "feature");
  std::string sha = remote.Commit("", "", "refs/pull/1/head");
  RequestEvent event{.repo = "e2e/lifecycle",
                     .number = 1,
                     .action = "opened",
                     .head_sha = sha,
                     .head_ref = "feature",
                     .clone_url = remote.clone_url()};
  HttpResult accepted = SendGitHub(api_port_, kSecret, event);
  ASSERT_EQ(accepted.status, 202) << accepted.body;

  // While it builds the host answers 503 with Retry-After; then the app itself answers.
  std::string host = "pr-1-lifecycle.localhost";
  bool saw_building = false;
  HttpResult served;
  ASSERT_TRUE(WaitFor(
      [&] {
        served = Visit(host);
        if (served.status == 503) {
          saw_building = true;
          EXPECT_EQ(served.headers["retry-after"], "5");
        }
        return served.status == 200;
      },
      seconds(180)))
      << "last answer " << served.status << " " << served.body << "\n"
      << prevu_->log();
  EXPECT_TRUE(saw_building) << "the host never answered 503 while the preview was built";
  EXPECT_TRUE(absl::StrContains(served.body, "Hello from a Prevu preview"));
  nlohmann::json preview = WaitForPhase(api_path, "ready", seconds(10));
  EXPECT_EQ(HostOf(preview), host);
  EXPECT_EQ(preview["head_sha"], sha);

  // A push is rebuilt and swapped in while a client asks every 50 ms: not one request fails.
  SteadyClient client(proxy_port_, host);
  client.Expect("Version two of the preview");
  std::string sha2 = remote.Commit("www/index.html", "<!doctype html><p>Version two of the preview",
                                   "refs/pull/1/head");
  event.action = "synchronize";
  event.head_sha = sha2;
  ASSERT_EQ(SendGitHub(api_port_, kSecret, event).status, 202);
  EXPECT_TRUE(WaitFor([&] { return client.saw_expected(); }, seconds(180))) << prevu_->log();
  std::this_thread::sleep_for(seconds(1));
  client.Stop();
  EXPECT_EQ(client.failures(), 0) << "of " << client.requests() << "; first "
                                  << client.first_failure();
  EXPECT_GT(client.requests(), 10);
  EXPECT_EQ(Preview(api_path)["head_sha"], sha2);

  // Close: the host is gone and nothing with the key is left in Docker.
  event.action = "closed";
  ASSERT_EQ(SendGitHub(api_port_, kSecret, event).status, 202);
  EXPECT_TRUE(WaitFor([&] { return Visit(host).status == 404; }, seconds(60)));
  DockerObjects left;
  EXPECT_TRUE(WaitFor(
      [&] {
        left = ListByKey(key);
        return left.empty();
      },
      seconds(60)))
      << left.containers.size() << " containers, " << left.networks.size() << " networks, "
      << left.images.size() << " images left";
  EXPECT_TRUE(WaitFor([&] { return Preview(api_path).is_null(); }, seconds(30)));

  // SIGTERM drains and exits within 10 seconds.
  auto stopping = std::chrono::steady_clock::now();
  prevu_->Signal(SIGTERM);
  EXPECT_EQ(prevu_->Wait(seconds(10)), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, seconds(10));
}

TEST_F(ServeE2eTest, GitLabMergeRequestInANestedGroupIsServedAndRemoved) {
  const std::string key = "gitlab/e2e-group/tools/hello#3";
  const std::string api_path = "gitlab/e2e-group/tools/hello/3";
  OwnKey(key);
  StartPrevu(Config());

  TempDir repo_dir;
  GitRemote remote(repo_dir.path(), kExample, "topic");
  RequestEvent event{.repo = "e2e-group/tools/hello",
                     .number = 3,
                     .action = "open",
                     .head_sha = remote.Commit("", "", "refs/merge-requests/3/head"),
                     .head_ref = "topic",
                     .clone_url = remote.clone_url()};
  HttpResult accepted = SendGitLab(api_port_, kToken, event);
  ASSERT_EQ(accepted.status, 202) << accepted.body;

  nlohmann::json preview = WaitForPhase(api_path, "ready", seconds(180));
  std::string host = HostOf(preview);
  EXPECT_TRUE(absl::StartsWith(host, "pr-3-hello")) << host;
  HttpResult served = Visit(host);
  EXPECT_EQ(served.status, 200);
  EXPECT_TRUE(absl::StrContains(served.body, "Hello from a Prevu preview"));

  event.action = "close";
  ASSERT_EQ(SendGitLab(api_port_, kToken, event).status, 202);
  EXPECT_TRUE(WaitFor([&] { return Visit(host).status == 404; }, seconds(60)));
  EXPECT_TRUE(WaitFor([&] { return ListByKey(key).empty(); }, seconds(60)));
}

TEST_F(ServeE2eTest, KillDuringABuildRedoesItWithNothingDuplicatedOrOrphaned) {
  const std::string key = "github/e2e/killed#4";
  const std::string api_path = "github/e2e/killed/4";
  OwnKey(key);
  StartPrevu(Config());

  // A build step that takes a few seconds, so that the kill lands in the middle of it.
  TempDir repo_dir;
  GitRemote remote(repo_dir.path(), kExample, "slow");
  std::string dockerfile =
      "FROM prevu/busybox:local\nRUN sleep 6\nCOPY www /www\nEXPOSE 8080\n"
      "CMD [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n";
  RequestEvent event{.repo = "e2e/killed",
                     .number = 4,
                     .action = "opened",
                     .head_sha = remote.Commit("Dockerfile", dockerfile, "refs/pull/4/head"),
                     .head_ref = "slow",
                     .clone_url = remote.clone_url()};
  ASSERT_EQ(SendGitHub(api_port_, kSecret, event).status, 202);
  WaitForPhase(api_path, "building", seconds(60));
  std::this_thread::sleep_for(seconds(2));
  prevu_->Signal(SIGKILL);
  ASSERT_EQ(prevu_->Wait(seconds(10)), 128 + SIGKILL);

  // The restarted process finds the preview in its store and builds it again.
  absl::Status restarted = prevu_->Start(api_port_);
  ASSERT_TRUE(restarted.ok()) << restarted;
  nlohmann::json preview = WaitForPhase(api_path, "ready", seconds(180));
  EXPECT_EQ(preview["head_sha"], event.head_sha);
  EXPECT_EQ(Visit(HostOf(preview)).status, 200);

  DockerObjects objects = ListByKey(key);
  EXPECT_EQ(objects.containers.size(), 1u);
  EXPECT_EQ(objects.networks.size(), 1u);
  EXPECT_EQ(objects.images.size(), 1u);
  CommandResult running = RunCommand("docker ps -q --filter label=prevu.managed=true --filter " +
                                     std::string("'label=prevu.key=") + key + "'");
  EXPECT_FALSE(running.output.empty());
}

TEST_F(ServeE2eTest, SighupReloadsSecretsAndKeepsTheOldConfigurationWhenTheFileIsBad) {
  StartPrevu(Config());
  RequestEvent event{.repo = "e2e/reload",
                     .number = 5,
                     .action = "opened",
                     .head_sha = std::string(40, 'a'),
                     .head_ref = "x",
                     .clone_url = "file:///nonexistent.git"};
  keys_.push_back("github/e2e/reload#5");
  EXPECT_EQ(SendGitHub(api_port_, "the-new-secret", event).status, 401);

  // The file now holds the new secret literally: after SIGHUP, deliveries signed with it pass.
  std::string config = absl::StrReplaceAll(Config(), {{"env:E2E_GITHUB_SECRET", "the-new-secret"}});
  WriteFile(prevu_->config_path(), config);
  prevu_->Signal(SIGHUP);
  EXPECT_TRUE(WaitFor([&] { return SendGitHub(api_port_, "the-new-secret", event).status == 202; },
                      seconds(10)))
      << prevu_->log();
  EXPECT_EQ(SendGitHub(api_port_, kSecret, event).status, 401);

  // A broken file is refused with its problems in the log; the running configuration stays.
  WriteFile(prevu_->config_path(), absl::StrReplaceAll(config, {{"interval =", "intervall ="}}));
  prevu_->Signal(SIGHUP);
  EXPECT_TRUE(WaitFor(
      [&] { return absl::StrContains(prevu_->log(), "configuration not reloaded"); }, seconds(10)))
      << prevu_->log();
  EXPECT_TRUE(absl::StrContains(prevu_->log(), "did you mean `interval`")) << prevu_->log();
  EXPECT_EQ(SendGitHub(api_port_, "the-new-secret", event).status, 202);
  EXPECT_TRUE(prevu_->running());
}

}  // namespace
}  // namespace prevu::e2e

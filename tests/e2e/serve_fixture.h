// The fixture of the end-to-end tests that run `prevu serve`: free ports, a configuration on
// loopback with a state directory of its own, the process, and waits on the status API. Docker
// objects of the keys a test names in `keys_` are removed before and after it.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/e2e_support.h"

namespace prevu::e2e {

inline constexpr const char* kSecret = "e2e-github-secret";
inline constexpr const char* kToken = "e2e-gitlab-token";
inline constexpr const char* kExample = PREVU_SOURCE_DIR "/examples/hello";

class ServeFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (RunCommand("docker info").exit_code != 0) {
      GTEST_SKIP() << "no Docker daemon: start one with .ci/dockerd";
    }
    ASSERT_EQ(RunCommand(PREVU_SOURCE_DIR "/.ci/busybox-image").exit_code, 0);
    api_port_ = FreePort();
    proxy_port_ = FreePort();
  }

  void TearDown() override {
    prevu_.reset();
    for (const std::string& key : keys_) {
      RemoveByKey(key);
    }
  }

  // Marks `key` as this test's: whatever Docker holds with it now and at the end is removed.
  void OwnKey(const std::string& key) {
    keys_.push_back(key);
    RemoveByKey(key);
  }

  std::string Config(const std::string& extra = "", const std::string& domain = "localhost") const {
    return absl::StrCat("[api]\nlisten = \"127.0.0.1:", api_port_, "\"\n",
                        "[proxy]\nlisten = \"127.0.0.1:", proxy_port_, "\"\n", "domain = \"",
                        domain, "\"\n", "[state]\ndir = \"", dir_.path(), "/state\"\n",
                        "[reconcile]\ninterval = \"2s\"\n",
                        // Tests run side by side on one daemon: each Prevu keeps to its objects.
                        "[docker]\ninstance = \"e2e-", api_port_, "\"\n",
                        "[github]\nwebhook_secret = \"env:E2E_GITHUB_SECRET\"\n",
                        "[gitlab]\nwebhook_token = \"env:E2E_GITLAB_TOKEN\"\n", extra);
  }

  // Starts `prevu serve` with `config`; `env` adds to the webhook secrets' variables.
  void StartPrevu(const std::string& config, std::map<std::string, std::string> env = {}) {
    env.emplace("E2E_GITHUB_SECRET", kSecret);
    env.emplace("E2E_GITLAB_TOKEN", kToken);
    prevu_ = std::make_unique<PrevuProcess>(dir_.path(), config, std::move(env));
    absl::Status started = prevu_->Start(api_port_);
    ASSERT_TRUE(started.ok()) << started;
  }

  // Opens pull request `number` of `repo`, from a new local forge holding examples/hello, with
  // a signed webhook. Returns the head SHA.
  std::string Open(const std::string& repo, int number) {
    remotes_.push_back(std::make_unique<TempDir>());
    GitRemote remote(remotes_.back()->path(), kExample, "feature");
    std::string sha = remote.Commit("", "", absl::StrCat("refs/pull/", number, "/head"));
    RequestEvent event{.repo = repo,
                       .number = number,
                       .action = "opened",
                       .head_sha = sha,
                       .head_ref = "feature",
                       .clone_url = remote.clone_url()};
    HttpResult accepted = SendGitHub(api_port_, kSecret, event);
    EXPECT_EQ(accepted.status, 202) << accepted.body;
    return sha;
  }

  // The preview's JSON from the status API, or null when it is not known.
  nlohmann::json Preview(const std::string& api_path) const {
    HttpResult result = Http(api_port_, "GET", "127.0.0.1", "/api/v1/previews/" + api_path);
    if (result.status != 200) {
      return nullptr;
    }
    return nlohmann::json::parse(result.body, nullptr, false);
  }

  // The preview's condition of `type`, or null.
  static nlohmann::json ConditionOf(const nlohmann::json& preview, const std::string& type) {
    if (preview.is_object() && preview.contains("conditions")) {
      for (const nlohmann::json& condition : preview["conditions"]) {
        if (condition.value("type", "") == type) {
          return condition;
        }
      }
    }
    return nullptr;
  }

  // Waits for the preview's phase; fails the test with its JSON and Prevu's log when it fails.
  nlohmann::json WaitForPhase(const std::string& api_path, const std::string& phase,
                              std::chrono::seconds timeout) {
    nlohmann::json preview;
    bool reached = WaitFor(
        [&] {
          preview = Preview(api_path);
          return !preview.is_null() && (preview["phase"] == phase || preview["phase"] == "failed");
        },
        timeout);
    EXPECT_TRUE(reached && preview["phase"] == phase)
        << "preview " << api_path << " did not reach " << phase << ": " << preview.dump()
        << "\nprevu log:\n"
        << prevu_->log();
    return preview;
  }

  // "http://pr-1-hello.localhost:8080" → "pr-1-hello.localhost".
  static std::string HostOf(const nlohmann::json& preview) {
    std::string url = preview.value("url", "");
    std::string host = url.substr(url.find("://") + 3);
    return host.substr(0, host.find_first_of(":/"));
  }

  HttpResult Visit(const std::string& host) const { return Http(proxy_port_, "GET", host, "/"); }

  // A value of Prevu's /metrics, or -1 when the line is missing.
  double Metric(const std::string& name) const {
    HttpResult metrics = Http(api_port_, "GET", "127.0.0.1", "/metrics");
    size_t at = metrics.body.find("\n" + name + " ");
    if (at == std::string::npos) {
      return -1;
    }
    return std::strtod(metrics.body.c_str() + at + name.size() + 2, nullptr);
  }

  TempDir dir_;
  int api_port_ = 0;
  int proxy_port_ = 0;
  std::unique_ptr<PrevuProcess> prevu_;
  std::vector<std::string> keys_;
  std::vector<std::unique_ptr<TempDir>> remotes_;
};

}  // namespace prevu::e2e

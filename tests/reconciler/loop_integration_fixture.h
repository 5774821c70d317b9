// The fixture of the reconcile loop's integration tests: the real Docker runtime (seen through a
// window, see WindowedRuntime), real git on a local bare repository, and the real durable store
// in a temporary directory. Tests commit a small busybox app, push it as a preview and watch
// the loop make Docker match.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "reconciler/docker/docker_runtime.h"
#include "reconciler/git/git_source_fetcher.h"
#include "reconciler/reconciler.h"
#include "tests/reconciler/busybox_app.h"
#include "tests/reconciler/loop_fakes.h"
#include "tests/reconciler/windowed_runtime.h"

namespace prevu::reconciler {

using controller::Phase;

inline int Shell(const std::string& command) { return std::system(command.c_str()); }

class LoopIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/prevu-loop-it-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    owner_ = absl::StrCat("it-", getpid(), "-", absl::ToUnixNanos(absl::Now()) % 1000000);
    key_ = controller::PreviewKey{controller::Provider::kGitHub, owner_ + "/shop", 7};
    docker_ = std::make_unique<docker::DockerRuntime>(docker_options_);
    window_ =
        std::make_unique<WindowedRuntime>(docker_.get(), absl::StrCat("github/", owner_, "/"));

    // The repository: a bare origin and a work tree that pushes to it.
    ASSERT_EQ(Shell(absl::StrCat("git init -q --bare ", dir_, "/origin.git && git init -q -b main ",
                                 dir_, "/work")),
              0);
    std::filesystem::copy_file("/bin/busybox", dir_ + "/work/busybox");
    absl::StatusOr<std::unique_ptr<controller::DesiredStore>> store =
        controller::OpenDesiredStore(dir_ + "/store", base::Clock::Real());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);

    config_.state.dir = dir_;
    config_.proxy.domain = "localhost";
    config_.reconcile.interval = absl::Seconds(1);
    config_.resources.default_memory_bytes = 64 << 20;
    config_.resources.default_pids = 64;
  }

  void TearDown() override {
    loop_.reset();
    if (window_ == nullptr) {
      return;  // SetUp failed early
    }
    // Whatever a failed test left behind, through the same window.
    if (absl::StatusOr<ActualState> left = window_->List(); left.ok()) {
      for (const ActualContainer& c : left->containers) {
        window_->RemoveContainer(c.id.str()).IgnoreError();
      }
      for (const ActualNetwork& n : left->networks) {
        window_->RemoveNetwork(n.id).IgnoreError();
      }
      for (const ActualImage& image : left->images) {
        window_->RemoveImage(image.id.str()).IgnoreError();
      }
    }
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Commits these files (path → content) with the busybox binary and pushes the branch;
  // returns the commit id.
  std::string Commit(const std::map<std::string, std::string>& files) {
    std::string work = dir_ + "/work";
    std::ofstream(work + "/test-id") << owner_;
    for (const auto& [path, content] : files) {
      std::filesystem::create_directories(std::filesystem::path(work + "/" + path).parent_path());
      std::ofstream(work + "/" + path) << content;
    }
    std::string git = absl::StrCat("git -C ", work, " -c user.name=t -c user.email=t@example.com ");
    EXPECT_EQ(Shell(git + "add -A && " + git + "commit -q -m change && " + git + "push -q -f " +
                    dir_ + "/origin.git HEAD:refs/heads/feature"),
              0);
    char sha[64] = {};
    FILE* out = popen((git + "rev-parse HEAD").c_str(), "r");
    EXPECT_NE(fgets(sha, sizeof sha, out), nullptr);
    pclose(out);
    return std::string(sha, 40);
  }

  std::string CommitApp(const std::string& text) {
    return Commit({{"Dockerfile", Unique(kBusyboxServeDockerfile)}, {"www/index.html", text}});
  }

  // A Dockerfile whose first layer is this test's own, so that no build cache is shared with
  // other tests on the same daemon, whose clean-up may prune layers while this one builds.
  std::string Unique(const std::string& dockerfile) {
    return absl::StrCat("FROM scratch\nCOPY test-id /test-id\n", dockerfile.substr(12));
  }

  void Push(const std::string& sha) {
    controller::SpecUpdate update{
        absl::StrCat("file://", dir_, "/origin.git"), sha, "feature", "main", "A change", "alice"};
    ASSERT_TRUE(store_->Upsert(key_, update).ok());
  }

  void StartLoop() {
    ReconcilerOptions options;
    options.health_timeout = absl::Seconds(20);
    loop_ = std::make_unique<Reconciler>(store_.get(), window_.get(), &fetcher_, &publisher_,
                                         config_, base::Clock::Real(), options);
    ASSERT_TRUE(loop_->Start().ok());
  }

  controller::PreviewStatus Status() {
    std::optional<controller::Preview> preview = store_->Get(key_);
    return preview ? preview->status : controller::PreviewStatus{};
  }

  std::string Reason(const std::string& type) {
    controller::PreviewStatus status = Status();
    const controller::Condition* c = status.FindCondition(type);
    return c != nullptr ? c->reason : "";
  }

  // Polls until `done` holds, calling `meanwhile` between polls; false after two minutes.
  static bool WaitFor(const std::function<bool()>& done,
                      const std::function<void()>& meanwhile = {}) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      if (meanwhile) {
        meanwhile();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }

  bool WaitReady(int64_t generation) {
    return WaitFor([&] {
      controller::PreviewStatus status = Status();
      return status.phase == Phase::kReady && status.observed_generation == generation;
    });
  }

  ActualContainer Serving() {
    absl::StatusOr<ActualState> state = window_->List();
    for (const ActualContainer& c : state.ok() ? state->containers : ActualState{}.containers) {
      if (c.id == Status().container_id) {
        return c;
      }
    }
    return ActualContainer{};
  }

  std::string dir_;
  std::string owner_;
  controller::PreviewKey key_;
  docker::DockerClient::Options docker_options_;  // a derived fixture may change it before SetUp
  std::unique_ptr<docker::DockerRuntime> docker_;
  std::unique_ptr<WindowedRuntime> window_;
  git::GitSourceFetcher fetcher_{git::GitFetcher::Options{}};
  fakes::FakePublisher publisher_;
  std::unique_ptr<controller::DesiredStore> store_;
  controller::HostConfig config_;
  std::unique_ptr<Reconciler> loop_;
};

}  // namespace prevu::reconciler

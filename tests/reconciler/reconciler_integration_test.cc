// The reconcile loop end to end against the real Docker daemon, real git (a local bare
// repository) and the real durable store: open → ready and reachable, push → replaced while the
// old container serves, close → everything gone, docker kill and network removal → repaired,
// failing builds, invalid `.prevu.toml`, crash loops, and adoption after a restart.
//
// The daemon may be shared with other tests and with a running Prevu, and the loop removes every
// managed object that nobody desires. So the runtime given to the loop is the real DockerRuntime
// seen through a window: List() shows only the objects of this test's repositories, and every
// call goes to Docker unchanged.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
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
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reconciler/docker/docker_runtime.h"
#include "reconciler/git/git_source_fetcher.h"
#include "reconciler/reconciler.h"
#include "tests/reconciler/busybox_app.h"
#include "tests/reconciler/loop_fakes.h"

namespace prevu::reconciler {
namespace {

using controller::Phase;
using ::testing::HasSubstr;

int Shell(const std::string& command) { return std::system(command.c_str()); }

// The real runtime, with List() narrowed to keys that start with `prefix`.
class WindowedRuntime : public ContainerRuntime {
 public:
  WindowedRuntime(ContainerRuntime* docker, std::string prefix)
      : docker_(docker), prefix_(std::move(prefix)) {}

  absl::StatusOr<ActualState> List() override {
    absl::StatusOr<ActualState> all = docker_->List();
    if (!all.ok()) {
      return all;
    }
    auto outside = [&](const auto& object) { return !absl::StartsWith(object.key, prefix_); };
    std::erase_if(all->containers, outside);
    std::erase_if(all->networks, outside);
    std::erase_if(all->images, outside);
    return all;
  }
  absl::StatusOr<std::string> Build(const BuildSpec& spec, const LogSink& log,
                                    const CancelToken& cancel) override {
    ++builds_;
    return docker_->Build(spec, log, cancel);
  }
  absl::StatusOr<std::string> EnsureNetwork(
      const std::string& name, const std::map<std::string, std::string>& labels) override {
    return docker_->EnsureNetwork(name, labels);
  }
  absl::StatusOr<ActualContainer> Run(const ContainerSpec& spec) override {
    return docker_->Run(spec);
  }
  absl::Status RemoveContainer(const std::string& id) override {
    return docker_->RemoveContainer(id);
  }
  absl::Status RemoveNetwork(const std::string& id) override { return docker_->RemoveNetwork(id); }
  absl::Status RemoveImage(const std::string& id) override { return docker_->RemoveImage(id); }
  absl::StatusOr<std::string> Logs(const std::string& id, int lines) override {
    return docker_->Logs(id, lines);
  }
  std::unique_ptr<Subscription> Watch(std::function<void()> on_event) override {
    return docker_->Watch(std::move(on_event));
  }

  int builds() const { return builds_.load(); }

 private:
  ContainerRuntime* docker_;
  std::string prefix_;
  std::atomic<int> builds_{0};
};

class ReconcilerIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/prevu-loop-it-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    owner_ = absl::StrCat("it-", getpid(), "-", absl::ToUnixNanos(absl::Now()) % 1000000);
    key_ = controller::PreviewKey{controller::Provider::kGitHub, owner_ + "/shop", 7};
    window_ = std::make_unique<WindowedRuntime>(&docker_, absl::StrCat("github/", owner_, "/"));

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
    // Whatever a failed test left behind, through the same window.
    if (absl::StatusOr<ActualState> left = window_->List(); left.ok()) {
      for (const ActualContainer& c : left->containers) {
        window_->RemoveContainer(c.id).IgnoreError();
      }
      for (const ActualNetwork& n : left->networks) {
        window_->RemoveNetwork(n.id).IgnoreError();
      }
      for (const ActualImage& image : left->images) {
        window_->RemoveImage(image.id).IgnoreError();
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
  docker::DockerRuntime docker_{docker::DockerClient::Options{}};
  std::unique_ptr<WindowedRuntime> window_;
  git::GitSourceFetcher fetcher_{git::GitFetcher::Options{}};
  fakes::FakePublisher publisher_;
  std::unique_ptr<controller::DesiredStore> store_;
  controller::HostConfig config_;
  std::unique_ptr<Reconciler> loop_;
};

TEST_F(ReconcilerIntegrationTest, OpenPushCloseLifecycle) {
  StartLoop();

  // Open: built, started, healthy and reachable at the published port.
  Push(CommitApp("version one"));
  ASSERT_TRUE(WaitReady(1)) << Status().error.value_or("");
  ActualContainer first = Serving();
  EXPECT_THAT(HttpGetIndex(first.upstream_port), HasSubstr("version one"));
  ASSERT_TRUE(WaitFor([&] {
    return publisher_.routes().size() == 1 && publisher_.routes()[0].ready &&
           publisher_.routes()[0].upstream_port == first.upstream_port;
  }));
  EXPECT_EQ(publisher_.routes()[0].host, absl::StrCat("pr-7-shop.localhost"));

  // Push: the old container answers until the new one is ready, then it is gone.
  Push(CommitApp("version two"));
  int old_failures = 0;
  ASSERT_TRUE(WaitFor([&] { return Status().observed_generation == 2; },
                      [&] { old_failures += HttpGetIndex(first.upstream_port).empty() ? 1 : 0; }))
      << Status().error.value_or("");
  ASSERT_TRUE(WaitReady(2));
  EXPECT_EQ(old_failures, 0);
  ActualContainer second = Serving();
  EXPECT_NE(second.id, first.id);
  EXPECT_THAT(HttpGetIndex(second.upstream_port), HasSubstr("version two"));
  ASSERT_TRUE(WaitFor([&] { return window_->List()->containers.size() == 1; }));
  EXPECT_TRUE(WaitFor([&] { return window_->List()->images.size() == 1; }));

  // Close: container, network and image removed, and the preview forgotten.
  ASSERT_TRUE(store_->Close(key_).ok());
  ASSERT_TRUE(WaitFor([&] { return !store_->Get(key_).has_value(); }));
  ActualState left = *window_->List();
  EXPECT_TRUE(left.containers.empty());
  EXPECT_TRUE(left.networks.empty());
  EXPECT_TRUE(left.images.empty());
  EXPECT_TRUE(WaitFor([&] { return publisher_.routes().empty(); }));
}

TEST_F(ReconcilerIntegrationTest, KilledContainerAndRemovedNetworkAreRepaired) {
  StartLoop();
  Push(CommitApp("sturdy"));
  ASSERT_TRUE(WaitReady(1)) << Status().error.value_or("");
  ActualContainer first = Serving();

  ASSERT_EQ(Shell("docker kill " + first.id + " >/dev/null"), 0);
  ASSERT_TRUE(WaitFor(
      [&] { return Status().phase == Phase::kReady && Status().container_id != first.id; }));
  ActualContainer second = Serving();
  EXPECT_THAT(HttpGetIndex(second.upstream_port), HasSubstr("sturdy"));
  EXPECT_EQ(window_->builds(), 1);

  ASSERT_EQ(Shell(absl::StrCat("docker network disconnect -f ", second.network, " ", second.id,
                               " && docker network rm ", second.network, " >/dev/null")),
            0);
  ASSERT_TRUE(WaitFor(
      [&] { return Status().phase == Phase::kReady && Status().container_id != second.id; }));
  ActualContainer third = Serving();
  EXPECT_EQ(window_->List()->networks.size(), 1u);
  EXPECT_THAT(HttpGetIndex(third.upstream_port), HasSubstr("sturdy"));
}

TEST_F(ReconcilerIntegrationTest, RestartedLoopAdoptsWithoutRebuilding) {
  StartLoop();
  Push(CommitApp("adopt me"));
  ASSERT_TRUE(WaitReady(1)) << Status().error.value_or("");
  std::string container = Status().container_id;
  loop_.reset();
  store_->SetStatus(key_, controller::PreviewStatus{});

  StartLoop();

  ASSERT_TRUE(WaitReady(1));
  EXPECT_EQ(Status().container_id, container);
  EXPECT_EQ(Reason("Ready"), "Adopted");
  EXPECT_EQ(window_->builds(), 1);
}

TEST_F(ReconcilerIntegrationTest, FailingDockerfileFailsWithDockersMessage) {
  StartLoop();

  Push(Commit({{"Dockerfile", Unique("FROM scratch\nCOPY missing.txt /missing.txt\n")}}));

  ASSERT_TRUE(WaitFor([&] { return Status().phase == Phase::kFailed; }));
  EXPECT_EQ(Reason("Built"), "BuildFailed");
  EXPECT_THAT(Status().error.value_or(""), HasSubstr("missing.txt"));
}

TEST_F(ReconcilerIntegrationTest, InvalidPrevuTomlFailsWithLineAndColumn) {
  StartLoop();

  Push(Commit({{"Dockerfile", Unique(kBusyboxServeDockerfile)},
               {"www/index.html", "x"},
               {".prevu.toml", "version = 1\n\n[run]\nport = \"web\"\n"}}));

  ASSERT_TRUE(WaitFor([&] { return Status().phase == Phase::kFailed; }));
  EXPECT_EQ(Reason("Built"), "InvalidConfig");
  EXPECT_THAT(Status().error.value_or(""), ::testing::ContainsRegex("\\.prevu\\.toml:4:[0-9]+"));
  EXPECT_EQ(window_->builds(), 0);
}

TEST_F(ReconcilerIntegrationTest, CrashingAppBacksOffAndShowsCrashLoop) {
  StartLoop();

  Push(Commit({{"Dockerfile",
                Unique("FROM scratch\nCOPY busybox /bin/busybox\n"
                       "CMD [\"/bin/busybox\", \"sh\", \"-c\", \"echo giving up; exit 4\"]\n")}}));

  ASSERT_TRUE(WaitFor([&] { return Reason("Ready") == "CrashLoop"; }))
      << Status().error.value_or("");
  controller::PreviewStatus status = Status();
  EXPECT_THAT(status.FindCondition("Ready")->message, HasSubstr("crashloop"));
  EXPECT_THAT(status.error.value_or(""), HasSubstr("code 4"));
  EXPECT_EQ(window_->builds(), 1);
}

}  // namespace
}  // namespace prevu::reconciler

// Unit tests of the reconcile loop around its seams: a fake container runtime, fetcher, health
// probe and route publisher, with the real durable desired store in a temporary directory. They
// check what the loop does with the diff's plan: jobs, status, routes, back-off, safe deletion and
// adoption.
#include "reconciler/reconciler.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/reconciler/loop_fakes.h"

namespace prevu::reconciler {
namespace {

using controller::Phase;
using controller::PreviewKey;
using ::testing::HasSubstr;

constexpr char kSha1[] = "1111111111111111111111111111111111111111";
constexpr char kSha2[] = "2222222222222222222222222222222222222222";
constexpr char kSha3[] = "3333333333333333333333333333333333333333";

class ReconcilerTest : public ::testing::Test {
 protected:
  ReconcilerTest() {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("reconciler_test_", getpid(), "_", reinterpret_cast<uintptr_t>(this));
    absl::StatusOr<std::unique_ptr<controller::DesiredStore>> store =
        controller::OpenDesiredStore((dir_ / "store").string(), &clock_);
    EXPECT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    config_.state.dir = dir_.string();
    config_.proxy.domain = "localhost";
    config_.proxy.listen = "0.0.0.0:8080";
    config_.reconcile.interval = absl::Milliseconds(50);
  }

  ~ReconcilerTest() override {
    loop_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void StartLoop(absl::Duration health_timeout = absl::Seconds(30),
                 ReconcilerOptions options = {}) {
    options.probe = &probe_;
    options.health_timeout = health_timeout;
    options.health_interval = absl::Milliseconds(5);
    loop_ = std::make_unique<Reconciler>(store_.get(), &runtime_, &fetcher_, &publisher_, config_,
                                         &clock_, options);
    ASSERT_TRUE(loop_->Start().ok());
  }

  static PreviewKey Key(int64_t number) {
    return PreviewKey{controller::Provider::kGitHub, "acme/shop", number};
  }

  void Push(int64_t number, const std::string& sha) {
    controller::SpecUpdate update{
        "file:///srv/acme/shop.git", sha, "feature", "main", "A change", "alice"};
    ASSERT_TRUE(store_->Upsert(Key(number), update).ok());
  }

  controller::PreviewStatus Status(int64_t number) {
    std::optional<controller::Preview> preview = store_->Get(Key(number));
    return preview ? preview->status : controller::PreviewStatus{};
  }

  // Polls `done` until it holds; false after a generous deadline (a hang, not a slow pass).
  static bool WaitFor(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  bool WaitForPhase(int64_t number, Phase phase) {
    return WaitFor([&] { return Status(number).phase == phase; });
  }

  // Waits until the loop has run `n` more passes.
  void Passes(int n) {
    int64_t target = loop_->passes() + n;
    for (int i = 0; i < n; ++i) {
      loop_->Wake();
    }
    ASSERT_TRUE(WaitFor([&] { return loop_->passes() >= target; }));
  }

  const controller::Condition& Condition(int64_t number, const std::string& type) {
    static controller::Condition missing;
    last_status_ = Status(number);
    const controller::Condition* c = last_status_.FindCondition(type);
    return c != nullptr ? *c : missing;
  }

  std::filesystem::path dir_;
  base::FakeClock clock_;
  std::unique_ptr<controller::DesiredStore> store_;
  fakes::FakeRuntime runtime_;
  fakes::FakeFetcher fetcher_;
  fakes::FakeProbe probe_;
  fakes::FakePublisher publisher_;
  controller::HostConfig config_;
  std::unique_ptr<Reconciler> loop_;
  controller::PreviewStatus last_status_;
};

TEST_F(ReconcilerTest, OpenedPreviewBecomesReadyWithStatusAndRoute) {
  fetcher_.SetPrevuToml("version = 1\n[run]\nport = 9000\nhealth_path = \"/up\"\n");
  StartLoop();

  Push(12, kSha1);

  ASSERT_TRUE(WaitForPhase(12, Phase::kReady));
  controller::PreviewStatus status = Status(12);
  EXPECT_EQ(status.observed_generation, 1);
  EXPECT_EQ(status.url, "http://pr-12-shop.localhost:8080");
  EXPECT_FALSE(status.error.has_value());
  for (const char* type : {"Fetched", "Built", "Running", "Ready"}) {
    EXPECT_EQ(Condition(12, type).status, "True") << type;
  }
  EXPECT_THAT(status.log_tail, HasSubstr("building prevu/acme/shop:12-111111111111"));
  for (const char* step : {"fetch", "build", "start", "health"}) {
    EXPECT_TRUE(status.timings_ms.contains(step)) << step;
  }
  EXPECT_EQ(probe_.last_path(), "/up");
  EXPECT_EQ(runtime_.LastSpec().port, 9000);
  EXPECT_EQ(runtime_.LastSpec().memory_bytes, config_.resources.default_memory_bytes);
  EXPECT_EQ(fetcher_.last().sha, kSha1);

  ASSERT_EQ(runtime_.State().containers.size(), 1u);
  ActualContainer container = runtime_.State().containers[0];
  EXPECT_EQ(status.container_id, container.id);
  EXPECT_EQ(container.key, "github/acme/shop#12");
  ASSERT_TRUE(WaitFor([&] {
    std::vector<proxy::Route> routes = publisher_.routes();
    return routes.size() == 1 && routes[0].ready;
  }));
  proxy::Route route = publisher_.routes()[0];
  EXPECT_EQ(route.host, "pr-12-shop.localhost");
  EXPECT_EQ(route.upstream_host, "127.0.0.1");
  EXPECT_EQ(route.upstream_port, container.upstream_port);
  EXPECT_TRUE(WaitFor([&] { return Condition(12, "Routed").status == "True"; }));
}

TEST_F(ReconcilerTest, PreviewBeingBuiltIsRoutedAsNotReady) {
  runtime_.HoldBuilds(true);
  StartLoop();

  Push(3, kSha1);

  ASSERT_TRUE(WaitFor([&] { return Status(3).phase == Phase::kBuilding; }));
  ASSERT_TRUE(WaitFor([&] { return publisher_.routes().size() == 1; }));
  EXPECT_FALSE(publisher_.routes()[0].ready);
  EXPECT_EQ(publisher_.routes()[0].host, "pr-3-shop.localhost");
  runtime_.HoldBuilds(false);
}

TEST_F(ReconcilerTest, PushRebuildsWhileOldContainerServesThenReplacesIt) {
  StartLoop();
  Push(1, kSha1);
  ASSERT_TRUE(WaitForPhase(1, Phase::kReady));
  ActualContainer old_container = runtime_.State().containers[0];
  runtime_.HoldBuilds(true);

  Push(1, kSha2);
  ASSERT_TRUE(WaitFor([&] { return runtime_.builds_started() == 2; }));
  Passes(2);

  // The old container still serves while the new image is built.
  ASSERT_EQ(runtime_.State().containers.size(), 1u);
  EXPECT_EQ(runtime_.State().containers[0].id, old_container.id);
  ASSERT_EQ(publisher_.routes().size(), 1u);
  EXPECT_TRUE(publisher_.routes()[0].ready);
  EXPECT_EQ(publisher_.routes()[0].upstream_port, old_container.upstream_port);

  runtime_.HoldBuilds(false);
  ASSERT_TRUE(WaitFor([&] {
    ActualState state = runtime_.State();
    return Status(1).observed_generation == 2 && Status(1).phase == Phase::kReady &&
           state.containers.size() == 1 && state.containers[0].id != old_container.id &&
           state.images.size() == 1;
  }));
  EXPECT_NE(runtime_.State().images[0].id, old_container.image_id);
  EXPECT_TRUE(WaitFor([&] {
    return publisher_.routes().size() == 1 &&
           publisher_.routes()[0].upstream_port == runtime_.State().containers[0].upstream_port;
  }));
}

TEST_F(ReconcilerTest, BuildOvertakenByNewerPushIsCancelled) {
  runtime_.HoldBuilds(true);
  StartLoop();
  Push(1, kSha1);
  ASSERT_TRUE(WaitFor([&] { return runtime_.builds_started() == 1; }));

  Push(1, kSha2);

  ASSERT_TRUE(WaitFor([&] { return runtime_.builds_cancelled() == 1; }));
  runtime_.HoldBuilds(false);
  ASSERT_TRUE(WaitFor(
      [&] { return Status(1).phase == Phase::kReady && Status(1).observed_generation == 2; }));
  EXPECT_EQ(fetcher_.last().sha, kSha2);
  EXPECT_EQ(runtime_.State().containers.size(), 1u);
}

TEST_F(ReconcilerTest, ClosedPreviewIsRemovedEntirelyAndForgotten) {
  StartLoop();
  Push(1, kSha1);
  Push(2, kSha1);
  ASSERT_TRUE(WaitForPhase(1, Phase::kReady));
  ASSERT_TRUE(WaitForPhase(2, Phase::kReady));

  ASSERT_TRUE(store_->Close(Key(1)).ok());

  ASSERT_TRUE(WaitFor([&] { return !store_->Get(Key(1)).has_value(); }));
  ActualState state = runtime_.State();
  ASSERT_EQ(state.containers.size(), 1u);
  EXPECT_EQ(state.containers[0].key, "github/acme/shop#2");
  ASSERT_EQ(state.networks.size(), 1u);
  EXPECT_EQ(state.networks[0].key, "github/acme/shop#2");
  ASSERT_EQ(state.images.size(), 1u);
  EXPECT_EQ(state.images[0].key, "github/acme/shop#2");
  ASSERT_TRUE(WaitFor([&] { return publisher_.routes().size() == 1; }));
  EXPECT_EQ(publisher_.routes()[0].host, "pr-2-shop.localhost");
}

TEST_F(ReconcilerTest, KilledContainerIsStartedAgainWithoutRebuild) {
  StartLoop();
  Push(1, kSha1);
  ASSERT_TRUE(WaitForPhase(1, Phase::kReady));
  std::string first = Status(1).container_id;

  runtime_.Kill(first);
  runtime_.Event();

  ASSERT_TRUE(WaitFor([&] {
    controller::PreviewStatus status = Status(1);
    return status.phase == Phase::kReady && status.container_id != first;
  }));
  EXPECT_EQ(runtime_.builds_started(), 1);
  EXPECT_EQ(fetcher_.fetches(), 1);
  ASSERT_EQ(runtime_.State().containers.size(), 1u);
  EXPECT_TRUE(runtime_.State().containers[0].running);
}

TEST_F(ReconcilerTest, ContainerThatKeepsDyingBacksOffAndShowsCrashLoop) {
  runtime_.CrashOnStart(true);
  probe_.SetHealthy(false);
  StartLoop();

  Push(1, kSha1);

  // First start, then one immediate restart; the next one waits for the back-off.
  ASSERT_TRUE(WaitFor([&] { return Condition(1, "Ready").reason == "CrashLoop"; }));
  EXPECT_THAT(Condition(1, "Ready").message, HasSubstr("crashloop"));
  EXPECT_THAT(*Status(1).error, HasSubstr("exited with code 3"));
  EXPECT_EQ(runtime_.runs(), 2);
  Passes(3);
  EXPECT_EQ(runtime_.runs(), 2);

  // After the back-off, one more start; it dies too and the next wait is twice as long.
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(WaitFor([&] { return runtime_.runs() >= 3; }));
  ASSERT_TRUE(WaitFor(
      [&] { return absl::StrContains(Condition(1, "Ready").message, "starts it again in 4s"); }));
  EXPECT_EQ(Condition(1, "Ready").reason, "CrashLoop");
  Passes(3);
  EXPECT_EQ(runtime_.runs(), 3);
  EXPECT_EQ(runtime_.builds_started(), 1);
}

TEST_F(ReconcilerTest, FailedBuildShowsDockersMessageAndIsNotRetried) {
  runtime_.SetBuildError("COPY failed: file not found in build context: app.js");
  StartLoop();

  Push(1, kSha1);

  ASSERT_TRUE(WaitForPhase(1, Phase::kFailed));
  EXPECT_THAT(*Status(1).error, HasSubstr("COPY failed: file not found"));
  EXPECT_EQ(Condition(1, "Built").status, "False");
  EXPECT_EQ(Condition(1, "Built").reason, "BuildFailed");
  EXPECT_EQ(Condition(1, "Ready").status, "False");
  Passes(3);
  EXPECT_EQ(runtime_.builds_started(), 1);

  // A new push is tried again.
  runtime_.SetBuildError("");
  Push(1, kSha2);
  EXPECT_TRUE(WaitForPhase(1, Phase::kReady));
}

TEST_F(ReconcilerTest, InvalidPrevuTomlFailsWithLineAndColumn) {
  fetcher_.SetPrevuToml("version = 1\n[run]\nport = \"eighty\"\n");
  StartLoop();

  Push(1, kSha1);

  ASSERT_TRUE(WaitForPhase(1, Phase::kFailed));
  EXPECT_THAT(*Status(1).error, ::testing::ContainsRegex("\\.prevu\\.toml:3:[0-9]+: "));
  EXPECT_EQ(Condition(1, "Built").reason, "InvalidConfig");
  EXPECT_EQ(runtime_.builds_started(), 0);
}

TEST_F(ReconcilerTest, FetchFailureIsReported) {
  fetcher_.SetError(absl::NotFoundError("no ref of file:///srv/acme/shop.git has the commit"));
  StartLoop();

  Push(1, kSha1);

  ASSERT_TRUE(WaitForPhase(1, Phase::kFailed));
  EXPECT_THAT(*Status(1).error, HasSubstr("no ref of file:///srv/acme/shop.git has the commit"));
  EXPECT_EQ(Condition(1, "Fetched").reason, "FetchFailed");
}

TEST_F(ReconcilerTest, FailedFetchIsRetriedWithBackoffUntilItWorks) {
  fetcher_.SetError(absl::UnavailableError(
      "fatal: unable to access 'https://git.example.com/acme/shop.git/': Could not resolve host"));
  StartLoop();

  Push(1, kSha1);

  ASSERT_TRUE(WaitFor([&] { return Status(1).error.has_value(); }));
  EXPECT_EQ(Status(1).phase, Phase::kFailed);
  EXPECT_THAT(*Status(1).error, HasSubstr("Fetch failed, retrying in 2s: fatal: unable to access"));
  EXPECT_EQ(Condition(1, "Fetched").reason, "FetchFailed");
  EXPECT_THAT(Condition(1, "Fetched").message, HasSubstr("retrying in 2s"));
  Passes(3);
  EXPECT_EQ(fetcher_.fetches(), 1);  // nothing before the back-off ends

  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(WaitFor([&] { return fetcher_.fetches() == 2; }));
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(*Status(1).error, "retrying in 4s"); }));
  clock_.Advance(absl::Seconds(3));
  Passes(3);
  EXPECT_EQ(fetcher_.fetches(), 2);  // the second wait is twice as long

  fetcher_.SetError(absl::OkStatus());
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(WaitForPhase(1, Phase::kReady));
  EXPECT_EQ(fetcher_.fetches(), 3);
  EXPECT_EQ(Condition(1, "Fetched").status, "True");
  EXPECT_FALSE(Status(1).error.has_value());
}

TEST_F(ReconcilerTest, CommitThatNoLongerExistsIsGivenUpAfterSomeAttempts) {
  fetcher_.SetError(absl::NotFoundError("git could not fetch commit 111111111111"));
  StartLoop();

  Push(1, kSha1);

  // Back-off of 2, 4, 8 and 16 seconds between the attempts.
  for (int attempt = 1; attempt < kFetchNotFoundAttempts; ++attempt) {
    ASSERT_TRUE(WaitFor([&] { return fetcher_.fetches() == attempt && Status(1).error; }));
    ASSERT_TRUE(WaitFor([&] {
      return absl::StrContains(*Status(1).error, absl::StrCat("retrying in ", 1 << attempt, "s"));
    })) << *Status(1).error;
    clock_.Advance(absl::Seconds(1 << attempt));
  }
  ASSERT_TRUE(WaitFor(
      [&] { return absl::StrContains(Status(1).error.value_or(""), "gave up after 5 attempts"); }));
  EXPECT_THAT(*Status(1).error, HasSubstr("git could not fetch commit 111111111111"));
  EXPECT_EQ(Status(1).phase, Phase::kFailed);
  clock_.Advance(absl::Minutes(10));
  Passes(3);
  EXPECT_EQ(fetcher_.fetches(), kFetchNotFoundAttempts);

  // A new push is fetched again, with a fresh count.
  fetcher_.SetError(absl::OkStatus());
  Push(1, kSha2);
  ASSERT_TRUE(WaitForPhase(1, Phase::kReady));
  EXPECT_EQ(fetcher_.last().sha, kSha2);
}

TEST_F(ReconcilerTest, BadFetchRequestIsNotRetried) {
  fetcher_.SetError(absl::InvalidArgumentError(
      "clone URL \"ftp://example.com/x\" must start with https://, http://, ssh://, git:// or "
      "file://"));
  StartLoop();

  Push(1, kSha1);

  ASSERT_TRUE(WaitForPhase(1, Phase::kFailed));
  EXPECT_THAT(*Status(1).error, HasSubstr("must start with https://"));
  EXPECT_THAT(*Status(1).error, ::testing::Not(HasSubstr("retrying")));
  clock_.Advance(absl::Minutes(10));
  Passes(3);
  EXPECT_EQ(fetcher_.fetches(), 1);
}

TEST_F(ReconcilerTest, StartThatFailsBecauseDockerIsAwayIsRetried) {
  runtime_.SetRunError(absl::UnavailableError(
      "cannot connect to the Docker daemon at /var/run/docker.sock: connection refused"));
  StartLoop();

  Push(1, kSha1);

  ASSERT_TRUE(WaitFor([&] { return Status(1).error.has_value(); }));
  EXPECT_THAT(*Status(1).error, HasSubstr("connection refused"));
  EXPECT_THAT(*Status(1).error, HasSubstr("Retrying in 2s."));
  EXPECT_EQ(Condition(1, "Running").reason, "StartFailed");
  Passes(3);
  EXPECT_EQ(runtime_.runs(), 1);

  runtime_.SetRunError(absl::OkStatus());
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(WaitForPhase(1, Phase::kReady));
  EXPECT_EQ(runtime_.runs(), 2);
}

TEST_F(ReconcilerTest, StartThatDockerRefusesIsNotRetried) {
  runtime_.SetRunError(absl::InternalError("OCI runtime create failed: exec format error"));
  StartLoop();

  Push(1, kSha1);

  ASSERT_TRUE(WaitForPhase(1, Phase::kFailed));
  EXPECT_THAT(*Status(1).error, HasSubstr("exec format error"));
  clock_.Advance(absl::Minutes(10));
  Passes(3);
  EXPECT_EQ(runtime_.runs(), 1);
}

TEST_F(ReconcilerTest, AppThatNeverAnswersFailsWithItsLastOutput) {
  probe_.SetHealthy(false);
  StartLoop(/*health_timeout=*/absl::Milliseconds(300));

  Push(1, kSha1);

  ASSERT_TRUE(WaitForPhase(1, Phase::kFailed));
  EXPECT_THAT(*Status(1).error, HasSubstr("fatal: cannot open database"));
  EXPECT_EQ(Condition(1, "Ready").reason, "Unhealthy");
  EXPECT_TRUE(WaitFor([&] { return runtime_.State().containers.empty(); }));
}

TEST_F(ReconcilerTest, HealthWaitInspectsItsContainerInsteadOfListingDocker) {
  probe_.SetHealthy(false);
  StartLoop(/*health_timeout=*/absl::Milliseconds(1600));

  Push(1, kSha1);

  ASSERT_TRUE(WaitForPhase(1, Phase::kFailed));
  EXPECT_EQ(Condition(1, "Ready").reason, "Unhealthy");
  // Every pass lists once; the wait itself looked at its container alone, every 500 ms.
  EXPECT_GE(runtime_.inspects(), 3);
  EXPECT_LE(runtime_.lists(), loop_->passes() + 1);
}

TEST_F(ReconcilerTest, UnreachableDockerIsReportedAndNothingIsRemoved) {
  StartLoop();
  Push(1, kSha1);
  ASSERT_TRUE(WaitForPhase(1, Phase::kReady));
  int publishes = publisher_.publishes();

  runtime_.SetListError(absl::UnavailableError("connect /var/run/docker.sock: no such file"));
  ASSERT_TRUE(store_->Close(Key(1)).ok());
  ASSERT_TRUE(WaitFor([&] { return !loop_->Healthy(); }));
  Passes(2);

  EXPECT_THAT(loop_->Problem(), HasSubstr("Docker cannot be reached"));
  EXPECT_THAT(loop_->Problem(), HasSubstr("no such file"));
  EXPECT_EQ(runtime_.State().containers.size(), 1u);
  EXPECT_TRUE(store_->Get(Key(1)).has_value());
  EXPECT_EQ(publisher_.publishes(), publishes);  // the proxy keeps its routes

  runtime_.SetListError(absl::OkStatus());
  ASSERT_TRUE(WaitFor([&] { return !store_->Get(Key(1)).has_value(); }));
  EXPECT_TRUE(loop_->Healthy());
  EXPECT_TRUE(runtime_.State().containers.empty());
}

TEST_F(ReconcilerTest, RestartedLoopAdoptsRunningContainerWithoutRebuild) {
  StartLoop();
  Push(1, kSha1);
  ASSERT_TRUE(WaitForPhase(1, Phase::kReady));
  std::string container = Status(1).container_id;
  loop_.reset();
  store_->SetStatus(Key(1), controller::PreviewStatus{});  // status is not durable

  StartLoop();

  ASSERT_TRUE(WaitForPhase(1, Phase::kReady));
  EXPECT_EQ(Status(1).container_id, container);
  EXPECT_EQ(Condition(1, "Ready").reason, "Adopted");
  EXPECT_EQ(runtime_.builds_started(), 1);
  EXPECT_EQ(runtime_.runs(), 1);
}

TEST_F(ReconcilerTest, RemovedNetworkIsRecreatedAndContainerReplaced) {
  StartLoop();
  Push(1, kSha1);
  ASSERT_TRUE(WaitForPhase(1, Phase::kReady));
  std::string first = Status(1).container_id;

  runtime_.DropNetworks();
  runtime_.Event();

  ASSERT_TRUE(
      WaitFor([&] { return Status(1).phase == Phase::kReady && Status(1).container_id != first; }));
  ActualState state = runtime_.State();
  ASSERT_EQ(state.networks.size(), 1u);
  ASSERT_EQ(state.containers.size(), 1u);
  EXPECT_EQ(state.containers[0].network, state.networks[0].name);
}

TEST_F(ReconcilerTest, ExpiredPreviewIsRemovedAndForgotten) {
  StartLoop();
  Push(1, kSha1);
  ASSERT_TRUE(WaitForPhase(1, Phase::kReady));

  clock_.Advance(absl::Hours(24 * 7) + absl::Seconds(1));
  loop_->Wake();

  ASSERT_TRUE(WaitFor([&] { return !store_->Get(Key(1)).has_value(); }));
  EXPECT_TRUE(runtime_.State().containers.empty());
  EXPECT_TRUE(runtime_.State().images.empty());
}

TEST_F(ReconcilerTest, ObjectsOfUnknownPreviewsAreRemoved) {
  ASSERT_TRUE(runtime_.EnsureNetwork("stray", {{kLabelKey, "github/gone/repo#9"}}).ok());
  StartLoop();

  EXPECT_TRUE(WaitFor([&] { return runtime_.State().networks.empty(); }));
}

TEST_F(ReconcilerTest, ReloadedLimitsRecreatePreviewsWithThem) {
  StartLoop();
  Push(12, kSha1);
  ASSERT_TRUE(WaitForPhase(12, Phase::kReady));
  int builds = runtime_.builds_started();

  controller::HostConfig reloaded = config_;
  reloaded.resources.default_memory_bytes = int64_t{96} << 20;
  loop_->SetConfig(reloaded);

  ASSERT_TRUE(WaitFor([&] { return runtime_.LastSpec().memory_bytes == int64_t{96} << 20; }));
  ASSERT_TRUE(WaitForPhase(12, Phase::kReady));
  EXPECT_GT(runtime_.builds_started(), builds);
}

TEST_F(ReconcilerTest, RoutesCarryTheRepositorysAccessModeAndFollowAReload) {
  StartLoop();
  Push(12, kSha1);
  ASSERT_TRUE(WaitForPhase(12, Phase::kReady));
  ASSERT_EQ(publisher_.routes().size(), 1u);
  EXPECT_EQ(publisher_.routes()[0].auth, proxy::RouteAuth::kDefault);

  controller::HostConfig reloaded = config_;
  reloaded.repos.push_back({.provider = controller::Provider::kGitHub,
                            .name = "ACME/shop",
                            .auth_mode = controller::AuthMode::kPassword});
  loop_->SetConfig(reloaded);
  EXPECT_TRUE(WaitFor([&] {
    std::vector<proxy::Route> routes = publisher_.routes();
    return routes.size() == 1 && routes[0].auth == proxy::RouteAuth::kPassword;
  }));
}

TEST_F(ReconcilerTest, HttpsUrlsAndTheCertificateConditionComeFromTheTlsSide) {
  config_.proxy.listen = "0.0.0.0:443";
  ReconcilerOptions options;
  options.url_scheme = "https";
  std::atomic<bool> issued{false};
  options.certificate_status = [&issued](const std::string& host) {
    if (issued) {
      return CertificateCondition{true, "Issued", host + " has a certificate."};
    }
    return CertificateCondition{false, "Failed", "urn:ietf:params:acme:error:dns: no A record"};
  };
  StartLoop(absl::Seconds(30), options);
  Push(12, kSha1);
  ASSERT_TRUE(WaitForPhase(12, Phase::kReady));
  EXPECT_EQ(Status(12).url, "https://pr-12-shop.localhost");
  ASSERT_TRUE(WaitFor([&] { return Condition(12, "CertReady").reason == "Failed"; }));
  EXPECT_EQ(Condition(12, "CertReady").status, "False");
  EXPECT_THAT(Condition(12, "CertReady").message, HasSubstr("no A record"));

  issued = true;
  ASSERT_TRUE(WaitFor([&] { return Condition(12, "CertReady").status == "True"; }));
  EXPECT_EQ(Condition(12, "CertReady").message, "pr-12-shop.localhost has a certificate.");
}

}  // namespace
}  // namespace prevu::reconciler

// The reconcile loop end to end against the real Docker daemon, real git (a local bare
// repository) and the real durable store: open → ready and reachable, push → replaced while the
// old container serves, close → everything gone, docker kill and network removal → repaired,
// failing builds, invalid `.prevu.toml`, crash loops, and adoption after a restart.
//
// The daemon may be shared with other tests and with a running Prevu, and the loop removes every
// managed object that nobody desires. So the runtime given to the loop is the real DockerRuntime
// seen through a window: List() shows only the objects of this test's repositories, and every
// call goes to Docker unchanged.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/reconciler/loop_integration_fixture.h"

namespace prevu::reconciler {
namespace {

using ::testing::HasSubstr;

class ReconcilerIntegrationTest : public LoopIntegrationTest {};

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

  // Push: the old container answers for as long as the route leads to it; the route moves to
  // the new one once that is ready, and only then is the old one removed.
  Push(CommitApp("version two"));
  auto routed_to_first = [&] {
    std::vector<proxy::Route> routes = publisher_.routes();
    return routes.size() == 1 && routes[0].upstream_port == first.upstream_port;
  };
  int old_failures = 0;
  ASSERT_TRUE(WaitFor([&] { return Status().observed_generation == 2; },
                      [&] {
                        bool before = routed_to_first();
                        bool failed = HttpGetIndex(first.upstream_port).empty();
                        old_failures += before && failed && routed_to_first() ? 1 : 0;
                      }))
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

  ASSERT_EQ(Shell("docker kill " + first.id.str() + " >/dev/null"), 0);
  ASSERT_TRUE(WaitFor(
      [&] { return Status().phase == Phase::kReady && Status().container_id != first.id; }));
  ActualContainer second = Serving();
  EXPECT_THAT(HttpGetIndex(second.upstream_port), HasSubstr("sturdy"));
  EXPECT_EQ(window_->builds(), 1);

  ASSERT_EQ(
      Shell(absl::StrCat("docker network disconnect -f ", second.network, " ", second.id.str(),
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

// The Docker daemon goes away under a running preview and comes back: the loop must not crash,
// must say that Docker is unreachable (what /readyz reports), must retry with back-off rather
// than spin, and once the daemon is back the preview must run again (adopted or recreated) with
// nothing duplicated. The daemon is a private one (PrivateDockerd): the shared one at
// /var/run/docker.sock serves other tests meanwhile and is never stopped.
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/reconciler/loop_integration_fixture.h"
#include "tests/reconciler/private_dockerd.h"

namespace prevu::reconciler {
namespace {

using ::testing::HasSubstr;

class DockerRestartIntegrationTest : public LoopIntegrationTest {
 protected:
  void SetUp() override {
    absl::Status started = daemon_.Start();
    ASSERT_TRUE(started.ok()) << started;
    docker_options_.socket_path = daemon_.socket_path();
    docker_options_.timeout = absl::Seconds(10);
    LoopIntegrationTest::SetUp();
    // With a long interval, how often the loop looks while Docker is down is its back-off's
    // doing (and the event watch's reconnects), not the timer's.
    config_.reconcile.interval = absl::Seconds(10);
  }

  void TearDown() override {
    LoopIntegrationTest::TearDown();
    EXPECT_TRUE(daemon_.Stop().ok());
  }

  // Containers of this test's preview in the private daemon, running or not: one id per line.
  std::vector<std::string> AllContainers() {
    std::string ids = daemon_.DockerOutput(
        absl::StrCat("ps -a -q --no-trunc --filter label=prevu.key=", key_.ToString()));
    return absl::StrSplit(ids, '\n', absl::SkipWhitespace());
  }

  PrivateDockerd daemon_;
};

TEST_F(DockerRestartIntegrationTest, LoopRidesOutADaemonRestartAndConverges) {
  StartLoop();
  Push(CommitApp("still here"));
  ASSERT_TRUE(WaitReady(1)) << Status().error.value_or("");
  ActualContainer first = Serving();
  ASSERT_THAT(HttpGetIndex(first.upstream_port), HasSubstr("still here"));
  EXPECT_TRUE(loop_->Healthy());

  // The daemon goes away (SIGTERM stops its containers too, as a package upgrade does).
  ASSERT_TRUE(daemon_.Stop().ok());
  ASSERT_TRUE(WaitFor([&] { return !loop_->Healthy(); }));
  EXPECT_THAT(loop_->Problem(), HasSubstr("Docker cannot be reached"));

  // While it is down the loop keeps trying, with growing pauses: a few passes in six seconds
  // (its own retries after 1, 2 and 4 s, and the event watch's reconnects), not hundreds.
  int64_t passes_before = loop_->passes();
  std::this_thread::sleep_for(std::chrono::seconds(6));
  int64_t passes_down = loop_->passes() - passes_before;
  EXPECT_GE(passes_down, 2);
  EXPECT_LE(passes_down, 15);
  EXPECT_FALSE(loop_->Healthy());
  EXPECT_TRUE(store_->Get(key_).has_value());  // nothing was forgotten on a failed listing

  // The daemon comes back with the same data: the loop notices by itself and the preview serves
  // again, from the image it already has.
  ASSERT_TRUE(daemon_.Start().ok()) << daemon_.LogTail();
  ASSERT_TRUE(WaitFor([&] { return loop_->Healthy(); }));
  ASSERT_TRUE(WaitFor([&] {
    controller::PreviewStatus status = Status();
    if (status.phase != Phase::kReady) {
      return false;
    }
    ActualContainer serving = Serving();
    return serving.running && serving.upstream_port != 0 &&
           absl::StrContains(HttpGetIndex(serving.upstream_port), "still here");
  })) << Status().error.value_or("");
  EXPECT_EQ(window_->builds(), 1);

  // Nothing duplicated: one container (the dead one was removed), one network, one image.
  ASSERT_TRUE(WaitFor([&] { return AllContainers().size() == 1; }));
  absl::StatusOr<ActualState> state = window_->List();
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(state->containers.size(), 1u);
  EXPECT_TRUE(state->containers[0].running);
  EXPECT_EQ(state->containers[0].id, Status().container_id);
  EXPECT_EQ(state->networks.size(), 1u);
  EXPECT_EQ(state->images.size(), 1u);
  ASSERT_TRUE(WaitFor([&] {
    std::vector<proxy::Route> routes = publisher_.routes();
    return routes.size() == 1 && routes[0].ready &&
           routes[0].upstream_port == state->containers[0].upstream_port;
  }));
}

}  // namespace
}  // namespace prevu::reconciler

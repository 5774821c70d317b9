// What a reload may change at once and what waits for a restart.
#include "controller/config/reload.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace prevu::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(PlanReloadTest, LiveKeysTakeTheNewValue) {
  HostConfig running;
  HostConfig next;
  next.github.webhook_secret = Secret("new-secret");
  next.api.admin_token = Secret("new-token");
  next.reconcile.interval = absl::Seconds(30);
  next.resources.default_memory_bytes = int64_t{256} << 20;
  next.repos.push_back({.provider = Provider::kGitHub, .name = "acme/shop"});

  ReloadPlan plan = PlanReload(running, next);
  EXPECT_THAT(plan.restart, IsEmpty());
  EXPECT_EQ(plan.config.github.webhook_secret->reveal(), "new-secret");
  EXPECT_EQ(plan.config.api.admin_token->reveal(), "new-token");
  EXPECT_EQ(plan.config.reconcile.interval, absl::Seconds(30));
  EXPECT_EQ(plan.config.resources.default_memory_bytes, int64_t{256} << 20);
  ASSERT_EQ(plan.config.repos.size(), 1u);
}

TEST(PlanReloadTest, FixedKeysKeepTheRunningValueAndAreNamed) {
  HostConfig running;
  HostConfig next;
  next.api.listen = "127.0.0.1:9999";
  next.proxy.domain = "preview.example.com";
  next.state.dir = "/elsewhere";
  next.tls.listen = "0.0.0.0:443";
  next.auth.password = Secret("new password");
  next.github.webhook_secret = Secret("applied anyway");

  ReloadPlan plan = PlanReload(running, next);
  EXPECT_THAT(plan.restart, ElementsAre("[api] listen", "[proxy] domain", "[state] dir",
                                        "[tls] listen", "[auth] password"));
  EXPECT_FALSE(plan.config.auth.password.has_value());
  EXPECT_EQ(plan.config.api.listen, running.api.listen);
  EXPECT_EQ(plan.config.proxy.domain, running.proxy.domain);
  EXPECT_EQ(plan.config.state.dir, running.state.dir);
  EXPECT_EQ(plan.config.tls.listen, running.tls.listen);
  EXPECT_EQ(plan.config.github.webhook_secret->reveal(), "applied anyway");
}

}  // namespace
}  // namespace prevu::controller

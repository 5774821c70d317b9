// The route table builder: a table for each new set of route targets, none when nothing moved.
#include "reconciler/route_table_builder.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace prevu::reconciler {
namespace {

class RouteTableBuilderTest : public ::testing::Test {
 protected:
  RouteTableBuilderTest() : builder_(HostNames(Proxy())) {
    for (int64_t number : {1, 2, 3}) {
      keys_.push_back(controller::PreviewKey{controller::Provider::kGitHub, "acme/shop", number});
    }
    for (const controller::PreviewKey& key : keys_) {
      key_ids_.push_back(key.ToString());
      labels_.push_back(builder_.names().Label(key));
    }
  }

  static controller::ProxyConfig Proxy() {
    controller::ProxyConfig proxy;
    proxy.domain = "preview.example.com";
    return proxy;
  }

  // Targets for previews 0..n-1, all ready on port 30000 + i.
  std::vector<RouteTableBuilder::Target> Targets(size_t n) {
    std::vector<RouteTableBuilder::Target> targets;
    for (size_t i = 0; i < n; ++i) {
      targets.push_back(RouteTableBuilder::Target{&keys_[i], &key_ids_[i], labels_[i], true,
                                                  "127.0.0.1", static_cast<uint16_t>(30000 + i)});
    }
    return targets;
  }

  RouteTableBuilder builder_;
  std::vector<controller::PreviewKey> keys_;
  std::vector<CompactId> key_ids_;  // keys_[i].ToString()
  std::vector<std::string> labels_;
};

TEST_F(RouteTableBuilderTest, FirstCallBuildsTheWholeTable) {
  std::optional<std::vector<proxy::Route>> table = builder_.Update(Targets(2));

  ASSERT_TRUE(table.has_value());
  ASSERT_EQ(table->size(), 2u);
  EXPECT_EQ((*table)[0].host, "pr-1-shop.preview.example.com");
  EXPECT_TRUE((*table)[0].ready);
  EXPECT_EQ((*table)[0].upstream_host, "127.0.0.1");
  EXPECT_EQ((*table)[0].upstream_port, 30000);
  EXPECT_EQ((*table)[1].host, "pr-2-shop.preview.example.com");
  EXPECT_EQ((*table)[1].upstream_port, 30001);
}

TEST_F(RouteTableBuilderTest, EmptyTableIsBuiltOnceToo) {
  EXPECT_TRUE(builder_.Update({}).has_value());
  EXPECT_FALSE(builder_.Update({}).has_value());
}

TEST_F(RouteTableBuilderTest, SameTargetsAgainBuildNothing) {
  ASSERT_TRUE(builder_.Update(Targets(3)).has_value());

  EXPECT_FALSE(builder_.Update(Targets(3)).has_value());
  EXPECT_FALSE(builder_.Update(Targets(3)).has_value());
}

TEST_F(RouteTableBuilderTest, AnyChangeBuildsTheWholeTableAgain) {
  ASSERT_TRUE(builder_.Update(Targets(3)).has_value());

  std::vector<RouteTableBuilder::Target> moved = Targets(3);
  moved[1].upstream_port = 40000;
  std::optional<std::vector<proxy::Route>> table = builder_.Update(moved);
  ASSERT_TRUE(table.has_value());
  ASSERT_EQ(table->size(), 3u);
  EXPECT_EQ((*table)[1].upstream_port, 40000);
  EXPECT_EQ((*table)[2].upstream_port, 30002);

  std::vector<RouteTableBuilder::Target> not_ready = moved;
  not_ready[0].ready = false;
  EXPECT_TRUE(builder_.Update(not_ready).has_value());
  std::vector<RouteTableBuilder::Target> other_host = not_ready;
  other_host[2].upstream_host = "127.0.0.2";
  EXPECT_TRUE(builder_.Update(other_host).has_value());
  std::vector<RouteTableBuilder::Target> protected_route = other_host;
  protected_route[0].auth = proxy::RouteAuth::kPassword;
  table = builder_.Update(protected_route);
  ASSERT_TRUE(table.has_value());
  EXPECT_EQ((*table)[0].auth, proxy::RouteAuth::kPassword);
  EXPECT_TRUE(builder_.Update(Targets(2)).has_value());  // one preview fewer
  std::vector<RouteTableBuilder::Target> swapped = Targets(2);
  std::swap(swapped[0], swapped[1]);
  EXPECT_TRUE(builder_.Update(swapped).has_value());  // another order
  EXPECT_FALSE(builder_.Update(swapped).has_value());
}

TEST_F(RouteTableBuilderTest, CollidingLabelsGetUniqueHosts) {
  keys_[1] = controller::PreviewKey{controller::Provider::kGitLab, "acme/shop", 1};
  key_ids_[1] = keys_[1].ToString();
  labels_[1] = builder_.names().Label(keys_[1]);
  ASSERT_EQ(labels_[0], labels_[1]);

  std::optional<std::vector<proxy::Route>> table = builder_.Update(Targets(2));

  ASSERT_TRUE(table.has_value());
  EXPECT_EQ((*table)[0].host, "pr-1-shop.preview.example.com");
  EXPECT_THAT((*table)[1].host,
              ::testing::MatchesRegex("pr-1-shop-[0-9a-f]{6}\\.preview\\.example\\.com"));
}

}  // namespace
}  // namespace prevu::reconciler

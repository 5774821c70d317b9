// Tests of preview host names: template expansion, DNS label rules, collisions and URLs.
#include "reconciler/host_names.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace prevu::reconciler {
namespace {

using controller::PreviewKey;
using controller::Provider;

controller::ProxyConfig Proxy(const std::string& host_template, const std::string& domain = "",
                              const std::string& listen = "0.0.0.0:8080") {
  controller::ProxyConfig proxy;
  proxy.host_template = host_template;
  proxy.domain = domain;
  proxy.listen = listen;
  return proxy;
}

PreviewKey Key(const std::string& repo, int64_t number, Provider provider = Provider::kGitHub) {
  return PreviewKey{provider, repo, number};
}

TEST(HostNamesTest, DefaultTemplateUsesNumberAndLastPathSegment) {
  HostNames names(Proxy("pr-{number}-{repo}"));

  EXPECT_EQ(names.Label(Key("acme/shop", 12)), "pr-12-shop");
  EXPECT_EQ(names.Label(Key("group/sub/project", 3, Provider::kGitLab)), "pr-3-project");
}

TEST(HostNamesTest, OwnerAndProviderPlaceholders) {
  HostNames names(Proxy("{provider}-{owner}-{repo}-{number}"));

  EXPECT_EQ(names.Label(Key("group/sub/project", 3, Provider::kGitLab)),
            "gitlab-group-sub-project-3");
}

TEST(HostNamesTest, LabelIsLowerCaseWithOnlyLettersDigitsAndSingleDashes) {
  HostNames names(Proxy("--PR_{number}..{repo}--"));

  EXPECT_EQ(names.Label(Key("Acme/My_Shop.v2", 7)), "pr-7-my-shop-v2");
}

TEST(HostNamesTest, LabelIsAtMost63CharactersAndDoesNotEndWithDash) {
  HostNames names(Proxy("{repo}"));
  std::string repo = "acme/" + std::string(62, 'a') + "-b";

  std::string label = names.Label(Key(repo, 1));

  EXPECT_EQ(label, std::string(62, 'a'));
}

TEST(HostNamesTest, LabelThatSanitisesToNothingFallsBackToNumber) {
  HostNames names(Proxy("{owner}"));

  EXPECT_EQ(names.Label(Key("shop", 9)), "preview-9");
}

TEST(HostNamesTest, HostAppendsLowerCaseDomain) {
  HostNames names(Proxy("pr-{number}-{repo}", "Preview.Example.COM"));
  PreviewKey key = Key("acme/shop", 12);

  EXPECT_THAT(names.Assign({&key}), testing::ElementsAre("pr-12-shop.preview.example.com"));
}

TEST(HostNamesTest, CollisionsAreMadeUniqueAndSmallestKeyKeepsPlainName) {
  HostNames names(Proxy("pr-{number}-{repo}", "localhost"));
  PreviewKey a = Key("acme/shop", 1);
  PreviewKey b = Key("beta/shop", 1);
  PreviewKey c = Key("gamma/shop", 1);

  std::vector<std::string> forward = names.Assign({&a, &b, &c});
  std::vector<std::string> backward = names.Assign({&c, &b, &a});

  EXPECT_EQ(forward[0], "pr-1-shop.localhost");
  EXPECT_THAT(forward[1], testing::MatchesRegex("pr-1-shop-[0-9a-f]{6}\\.localhost"));
  EXPECT_THAT(forward[2], testing::MatchesRegex("pr-1-shop-[0-9a-f]{6}\\.localhost"));
  EXPECT_NE(forward[1], forward[2]);
  EXPECT_THAT(backward, testing::ElementsAre(forward[2], forward[1], forward[0]));
}

TEST(HostNamesTest, SuffixedLongLabelStaysWithin63Characters) {
  HostNames names(Proxy("{number}-{repo}"));
  std::string name(70, 'x');
  PreviewKey a = Key("a/" + name, 1);
  PreviewKey b = Key("b/" + name, 1);

  std::vector<std::string> hosts = names.Assign({&a, &b});

  EXPECT_EQ(hosts[0].size(), 63u);
  EXPECT_EQ(hosts[1].size(), 63u);
  EXPECT_NE(hosts[0], hosts[1]);
}

TEST(HostNamesTest, UrlOmitsPort80) {
  EXPECT_EQ(HostNames(Proxy("x", "", "0.0.0.0:80")).Url("a.localhost"), "http://a.localhost");
  EXPECT_EQ(HostNames(Proxy("x", "", "[::]:8080")).Url("a.localhost"), "http://a.localhost:8080");
}

}  // namespace
}  // namespace prevu::reconciler

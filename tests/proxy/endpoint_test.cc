// Address parsing for routes, the listen address and trusted networks.
#include "proxy/endpoint.h"

#include <gtest/gtest.h>

namespace prevu::proxy {
namespace {

TEST(EndpointTest, ParsesIpv4AndIpv6HostPort) {
  absl::StatusOr<Endpoint> v4 = ParseHostPort("127.0.0.1:3000");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->ToString(), "127.0.0.1:3000");

  absl::StatusOr<Endpoint> v6 = ParseHostPort("[fd00::7]:80");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_FALSE(v6->is_v4());
  EXPECT_EQ(v6->ToString(), "[fd00::7]:80");
}

TEST(EndpointTest, RejectsMissingOrBadPortWithAMessage) {
  EXPECT_FALSE(ParseHostPort("127.0.0.1").ok());
  EXPECT_FALSE(ParseHostPort("127.0.0.1:99999").ok());
  EXPECT_FALSE(ParseHostPort("[fd00::7]80").ok());
  absl::Status status = ParseHostPort("127.0.0.1:http").status();
  EXPECT_NE(status.message().find("not a port"), absl::string_view::npos) << status;
}

TEST(EndpointTest, TrustedNetworksMatchByPrefix) {
  std::vector<TrustedNetwork> networks = {*ParseTrustedNetwork("10.0.0.0/8"),
                                          *ParseTrustedNetwork("fd00::/16")};

  EXPECT_TRUE(IsTrusted(ParseHostPort("10.200.1.1:1")->address, networks));
  EXPECT_FALSE(IsTrusted(ParseHostPort("11.0.0.1:1")->address, networks));
  EXPECT_TRUE(IsTrusted(ParseHostPort("[fd00:1::1]:1")->address, networks));
  EXPECT_FALSE(IsTrusted(ParseHostPort("[fd01::1]:1")->address, networks));
  EXPECT_FALSE(ParseTrustedNetwork("10.0.0.0/33").ok());
  EXPECT_FALSE(ParseTrustedNetwork("ten/8").ok());
}

TEST(EndpointTest, OddPrefixLengthsCompareBits) {
  std::vector<TrustedNetwork> networks = {*ParseTrustedNetwork("192.168.0.0/17")};

  EXPECT_TRUE(IsTrusted(ParseHostPort("192.168.127.1:1")->address, networks));
  EXPECT_FALSE(IsTrusted(ParseHostPort("192.168.128.1:1")->address, networks));
}

}  // namespace
}  // namespace prevu::proxy

// Tests of the value formats (sizes, durations, CPU shares, ports, listen addresses), the name
// and path checks, and spelling suggestions.
#include <limits>
#include <string>
#include <vector>

#include "controller/config/closest_name.h"
#include "controller/config/units.h"
#include "controller/config/validators.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace prevu::controller {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kKiB = 1024;
constexpr int64_t kMiB = kKiB * 1024;
constexpr int64_t kGiB = kMiB * 1024;

TEST(ParseSizeTest, AcceptsBinaryDecimalAndDockerUnitsInAnyCase) {
  struct {
    const char* text;
    int64_t bytes;
  } const kCases[] = {
      {"1048576", 1048576},
      {"0", 0},
      {"100B", 100},
      {"512MiB", 512 * kMiB},
      {"512mib", 512 * kMiB},
      {"512Mi", 512 * kMiB},
      {"256m", 256 * kMiB},
      {"256M", 256 * kMiB},
      {"1G", kGiB},
      {"1g", kGiB},
      {"2k", 2 * kKiB},
      {"1T", kGiB * 1024},
      {"1GB", 1000000000},
      {"1gb", 1000000000},
      {"3KB", 3000},
      {"1MB", 1000000},
      {"1.5GiB", 3 * kGiB / 2},
      {"0.5KiB", 512},
      {"1.25 MiB", 5 * kMiB / 4},
      {" 64MiB ", 64 * kMiB},
      {"8TiB", 8 * kGiB * 1024},
      {"1.000000001KiB", kKiB},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<int64_t> size = ParseSize(c.text);

    ASSERT_TRUE(size.ok()) << c.text << ": " << size.status();
    EXPECT_EQ(*size, c.bytes) << c.text;
  }
}

TEST(ParseSizeTest, RejectsMalformedSizesWithTheReason) {
  struct {
    const char* text;
    const char* reason;
  } const kCases[] = {
      {"", "write a number of bytes"},
      {"MiB", "write a number of bytes"},
      {"-1MiB", "write a number of bytes"},
      {"1.MiB", "write a number of bytes"},
      {".5GiB", "write a number of bytes"},
      {"12XB", "unknown unit `XB`"},
      {"1 2MiB", "unknown unit `2MiB`"},
      {"5 GiB extra", "unknown unit"},
      {"1.0000000001MiB", "use at most 9 decimals"},
      {"99999999999999999999", "too large"},
      {"9000000TiB", "too large"},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<int64_t> size = ParseSize(c.text);

    ASSERT_FALSE(size.ok()) << c.text;
    EXPECT_THAT(size.status().message(), HasSubstr(c.reason)) << c.text;
    EXPECT_THAT(size.status().message(), HasSubstr("is not a size")) << c.text;
  }
}

TEST(SizeToTextTest, UsesTheLargestExactBinaryUnit) {
  EXPECT_EQ(SizeToText(512 * kMiB), "512MiB");
  EXPECT_EQ(SizeToText(1536 * kKiB), "1536KiB");
  EXPECT_EQ(SizeToText(2 * kGiB), "2GiB");
  EXPECT_EQ(SizeToText(100), "100B");
  EXPECT_EQ(SizeToText(0), "0B");
}

TEST(ParseDurationTest, AcceptsUnitsAndCombinations) {
  struct {
    const char* text;
    absl::Duration duration;
  } const kCases[] = {
      {"90s", absl::Seconds(90)},
      {"10m", absl::Minutes(10)},
      {"72h", absl::Hours(72)},
      {"7d", absl::Hours(168)},
      {"500ms", absl::Milliseconds(500)},
      {"1h30m", absl::Minutes(90)},
      {"1h 30m", absl::Minutes(90)},
      {" 2 d ", absl::Hours(48)},
      {"1d2h3m4s5ms",
       absl::Hours(26) + absl::Minutes(3) + absl::Seconds(4) + absl::Milliseconds(5)},
      {"0s", absl::ZeroDuration()},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<absl::Duration> duration = ParseDuration(c.text);

    ASSERT_TRUE(duration.ok()) << c.text << ": " << duration.status();
    EXPECT_EQ(*duration, c.duration) << c.text;
  }
}

TEST(ParseDurationTest, RejectsMalformedDurationsWithTheReason) {
  struct {
    const char* text;
    const char* reason;
  } const kCases[] = {
      {"", "write whole numbers with units"},
      {"10", "`10` needs a unit, such as `10s` or `10m`"},
      {"1.5h", "write whole numbers with units"},
      {"h", "write whole numbers with units"},
      {"-5s", "write whole numbers with units"},
      {"3w", "unknown unit `w`"},
      {"10M", "unknown unit `M`"},
      {"10 minutes", "unknown unit `minutes`"},
      {"30m1h", "from largest to smallest"},
      {"1h1h", "from largest to smallest"},
      {"99999999999999999999d", "too long"},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<absl::Duration> duration = ParseDuration(c.text);

    ASSERT_FALSE(duration.ok()) << c.text;
    EXPECT_THAT(duration.status().message(), HasSubstr(c.reason)) << c.text;
  }
}

TEST(DurationToTextTest, RoundTripsThroughParseDuration) {
  for (const char* text : {"0s", "90ms", "1m30s", "7d", "1d2h3m4s5ms", "365d"}) {
    absl::StatusOr<absl::Duration> duration = ParseDuration(text);
    ASSERT_TRUE(duration.ok()) << text;

    EXPECT_EQ(DurationToText(*duration), text);
  }
  EXPECT_EQ(DurationToText(absl::Seconds(90)), "1m30s");
}

TEST(ParseCpusTest, AcceptsTheRangeDockerAccepts) {
  EXPECT_TRUE(ParseCpus(0.01).ok());
  EXPECT_TRUE(ParseCpus(0.5).ok());
  EXPECT_TRUE(ParseCpus(64).ok());
  EXPECT_FALSE(ParseCpus(0.009).ok());
  EXPECT_FALSE(ParseCpus(0).ok());
  EXPECT_FALSE(ParseCpus(-1).ok());
  EXPECT_FALSE(ParseCpus(64.5).ok());
  EXPECT_FALSE(ParseCpus(std::numeric_limits<double>::quiet_NaN()).ok());
  EXPECT_FALSE(ParseCpus(std::numeric_limits<double>::infinity()).ok());
}

TEST(ParsePortTest, AcceptsOneTo65535) {
  EXPECT_EQ(*ParsePort(1), 1);
  EXPECT_EQ(*ParsePort(65535), 65535);
  EXPECT_FALSE(ParsePort(0).ok());
  EXPECT_FALSE(ParsePort(65536).ok());
  EXPECT_FALSE(ParsePort(-80).ok());
  EXPECT_THAT(ParsePort(0).status().message(), HasSubstr("between 1 and 65535"));
}

TEST(ParseListenAddressTest, AcceptsHostsIpv4AndBracketedIpv6) {
  struct {
    const char* text;
    const char* host;
    int port;
  } const kCases[] = {
      {"127.0.0.1:9080", "127.0.0.1", 9080},
      {"0.0.0.0:0", "0.0.0.0", 0},
      {"[::1]:8443", "::1", 8443},
      {"[::]:80", "::", 80},
      {"localhost:65535", "localhost", 65535},
      {"proxy.internal:8080", "proxy.internal", 8080},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<ListenAddress> address = ParseListenAddress(c.text);

    ASSERT_TRUE(address.ok()) << c.text << ": " << address.status();
    EXPECT_EQ(address->host, c.host);
    EXPECT_EQ(address->port, c.port);
  }
}

TEST(ParseListenAddressTest, RejectsMalformedAddressesWithTheReason) {
  struct {
    const char* text;
    const char* reason;
  } const kCases[] = {
      {"localhost", "the port is missing"},
      {"", "the port is missing"},
      {":8080", "the host is missing"},
      {"::1:8080", "in brackets"},
      {"[::1]8080", "write `[ADDRESS]:PORT`"},
      {"[::1", "write `[ADDRESS]:PORT`"},
      {"[1.2.3.4]:80", "is not an IPv6 address"},
      {"256.0.0.1:80", "is not an IPv4 address"},
      {"bad_host:80", "neither an IP address nor a host name"},
      {"127.0.0.1:http", "from 0 to 65535"},
      {"127.0.0.1:", "from 0 to 65535"},
      {"127.0.0.1:-1", "from 0 to 65535"},
      {"127.0.0.1:99999", "from 0 to 65535"},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<ListenAddress> address = ParseListenAddress(c.text);

    ASSERT_FALSE(address.ok()) << c.text;
    EXPECT_THAT(address.status().message(), HasSubstr(c.reason)) << c.text;
  }
}

TEST(ValidatorsTest, DnsNames) {
  EXPECT_TRUE(CheckDnsName("localhost").ok());
  EXPECT_TRUE(CheckDnsName("preview.example.com").ok());
  EXPECT_TRUE(CheckDnsName("a-1.B2.example").ok());
  EXPECT_FALSE(CheckDnsName("").ok());
  EXPECT_FALSE(CheckDnsName("example.com.").ok());
  EXPECT_FALSE(CheckDnsName("a..b").ok());
  EXPECT_FALSE(CheckDnsName("a.-b.c").ok());
  EXPECT_FALSE(CheckDnsName("*.example.com").ok());
  EXPECT_FALSE(CheckDnsName(std::string(64, 'a') + ".com").ok());
  EXPECT_FALSE(CheckDnsName(std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                            std::string(63, 'c') + "." + std::string(63, 'd'))
                   .ok());
}

TEST(ValidatorsTest, HostTemplates) {
  EXPECT_TRUE(CheckHostTemplate("pr-{number}-{repo}").ok());
  EXPECT_TRUE(CheckHostTemplate("{provider}-{owner}-{repo}-{number}").ok());
  EXPECT_TRUE(CheckHostTemplate("{number}").ok());
  EXPECT_FALSE(CheckHostTemplate("").ok());
  EXPECT_FALSE(CheckHostTemplate("pr_{number}").ok());
  EXPECT_FALSE(CheckHostTemplate("pr-{}-{number}").ok());
  EXPECT_THAT(CheckHostTemplate("{numbr}-{repo}").message(), HasSubstr("did you mean `{number}`"));
  EXPECT_THAT(CheckHostTemplate("{branch}-{number}").message(),
              HasSubstr("use `{number}`, `{repo}`, `{owner}` or `{provider}`"));
}

TEST(ValidatorsTest, EnvNames) {
  EXPECT_TRUE(CheckEnvName("LOG_LEVEL").ok());
  EXPECT_TRUE(CheckEnvName("_private1").ok());
  EXPECT_FALSE(CheckEnvName("").ok());
  EXPECT_FALSE(CheckEnvName("1ST").ok());
  EXPECT_FALSE(CheckEnvName("A-B").ok());
  EXPECT_FALSE(CheckEnvName("A=B").ok());
}

TEST(ValidatorsTest, RelativePathsStayInsideTheRepository) {
  EXPECT_TRUE(CheckRelativePath(".").ok());
  EXPECT_TRUE(CheckRelativePath("app/../web").ok());
  EXPECT_TRUE(CheckRelativePath("./docker/Dockerfile").ok());
  EXPECT_TRUE(CheckRelativePath("a/b/../../c").ok());
  EXPECT_FALSE(CheckRelativePath("").ok());
  EXPECT_FALSE(CheckRelativePath("..").ok());
  EXPECT_FALSE(CheckRelativePath("a/../../b").ok());
  EXPECT_FALSE(CheckRelativePath("./../x").ok());
  EXPECT_FALSE(CheckRelativePath("/etc").ok());
}

TEST(ValidatorsTest, CloneUrls) {
  for (const char* url :
       {"https://github.com/acme/shop.git", "http://127.0.0.1:3000/a/b.git",
        "ssh://git@host:22/a/b.git", "git://host/a/b.git", "file:///srv/git/shop.git",
        "git@github.com:acme/shop.git", "host:path/repo.git"}) {
    EXPECT_TRUE(CheckCloneUrl(url).ok()) << url;
  }
  for (const char* url : {"", "ftp://host/a.git", "/srv/git/shop.git", "https://", "shop.git",
                          "https://host/a b.git", "./a:b"}) {
    EXPECT_FALSE(CheckCloneUrl(url).ok()) << url;
  }
}

TEST(ValidatorsTest, HttpUrlsHeadersRepoNamesEmailsAndPaths) {
  EXPECT_TRUE(CheckHttpUrl("https://auth.example.com/check").ok());
  EXPECT_TRUE(CheckHttpUrl("http://127.0.0.1:4180").ok());
  EXPECT_FALSE(CheckHttpUrl("https:///path").ok());
  EXPECT_FALSE(CheckHttpUrl("ftp://x").ok());

  EXPECT_TRUE(CheckHeaderName("X-Auth-Request-User").ok());
  EXPECT_FALSE(CheckHeaderName("X:User").ok());
  EXPECT_FALSE(CheckHeaderName("").ok());

  EXPECT_TRUE(CheckRepoName("acme/shop").ok());
  EXPECT_TRUE(CheckRepoName("group/sub/project.js").ok());
  EXPECT_FALSE(CheckRepoName("acme/").ok());
  EXPECT_FALSE(CheckRepoName("acme/../x").ok());
  EXPECT_FALSE(CheckRepoName("acme/sh op").ok());

  EXPECT_TRUE(CheckEmail("ops@example.com").ok());
  EXPECT_FALSE(CheckEmail("ops@localhost").ok());
  EXPECT_FALSE(CheckEmail("@example.com").ok());
  EXPECT_FALSE(CheckEmail("a@b@example.com").ok());

  EXPECT_TRUE(CheckUrlPath("/healthz?full=1").ok());
  EXPECT_FALSE(CheckUrlPath("healthz").ok());
  EXPECT_FALSE(CheckUrlPath("/health z").ok());
}

TEST(ClosestNameTest, SuggestsLikelyTyposOnly) {
  std::vector<std::string> keys = {"listen", "domain", "host_template", "threads", "port"};

  EXPECT_EQ(ClosestName("prot", keys), "port");
  EXPECT_EQ(ClosestName("lisen", keys), "listen");
  EXPECT_EQ(ClosestName("Domain", keys), "domain");
  EXPECT_EQ(ClosestName("host-template", keys), "host_template");
  EXPECT_EQ(ClosestName("zzz", keys), std::nullopt);
  EXPECT_EQ(ClosestName("memory", keys), std::nullopt);
  EXPECT_EQ(ClosestName("x", {}), std::nullopt);
}

TEST(ClosestNameTest, EditDistanceCountsASwapAsOneEdit) {
  EXPECT_EQ(EditDistance("prot", "port"), 1);
  EXPECT_EQ(EditDistance("", "abc"), 3);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
  EXPECT_EQ(EditDistance("same", "SAME"), 0);
}

}  // namespace
}  // namespace prevu::controller

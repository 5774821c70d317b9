// Access-control settings: forward_url parsing, the modes' requirements and the cookie key file.
#include "proxy/auth/auth_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace prevu::proxy {
namespace {

using ::testing::HasSubstr;

TEST(ForwardUrlTest, ParsesHostPortAndTarget) {
  absl::StatusOr<ForwardTarget> plain = ParseForwardUrl("http://auth.internal/api/verify?rd=x");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->https);
  EXPECT_EQ(plain->host, "auth.internal");
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->host_header, "auth.internal");
  EXPECT_EQ(plain->target, "/api/verify?rd=x");

  absl::StatusOr<ForwardTarget> tls = ParseForwardUrl("HTTPS://127.0.0.1:9091");
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_TRUE(tls->https);
  EXPECT_EQ(tls->host, "127.0.0.1");
  EXPECT_EQ(tls->port, 9091);
  EXPECT_EQ(tls->host_header, "127.0.0.1:9091");
  EXPECT_EQ(tls->target, "/");

  absl::StatusOr<ForwardTarget> v6 = ParseForwardUrl("https://[::1]?check");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 443);
  EXPECT_EQ(v6->host_header, "[::1]");
  EXPECT_EQ(v6->target, "/?check");
}

TEST(ForwardUrlTest, RefusesWhatCannotBeAsked) {
  for (const char* url : {"ftp://auth/", "auth.internal/verify", "http://", "http://:80/",
                          "http://user:pw@auth/", "http://auth:0/", "http://auth:65536/",
                          "http://auth:8o/", "http://auth/#top", "http://[::1/"}) {
    EXPECT_FALSE(ParseForwardUrl(url).ok()) << url;
  }
}

TEST(AuthSettingsTest, EffectiveModeOfARoute) {
  EXPECT_EQ(EffectiveMode(RouteAuth::kDefault, AuthMode::kPassword), AuthMode::kPassword);
  EXPECT_EQ(EffectiveMode(RouteAuth::kNone, AuthMode::kPassword), AuthMode::kNone);
  EXPECT_EQ(EffectiveMode(RouteAuth::kForward, AuthMode::kNone), AuthMode::kForward);
  EXPECT_EQ(EffectiveMode(RouteAuth::kBypassToken, AuthMode::kNone), AuthMode::kBypassToken);
  EXPECT_EQ(AuthModeName(AuthMode::kBypassToken), "bypass_token");
}

TEST(AuthSettingsTest, EachModeNeedsItsSettings) {
  AuthSettings settings;
  EXPECT_TRUE(ValidateAuthSettings(settings, {AuthMode::kNone}).ok());
  EXPECT_THAT(ValidateAuthSettings(settings, {AuthMode::kPassword}).message(),
              HasSubstr("password"));
  EXPECT_THAT(ValidateAuthSettings(settings, {AuthMode::kForward}).message(),
              HasSubstr("forward_url"));
  EXPECT_THAT(ValidateAuthSettings(settings, {AuthMode::kBypassToken}).message(),
              HasSubstr("bypass token"));

  settings.password = "hunter2";
  EXPECT_THAT(ValidateAuthSettings(settings, {AuthMode::kPassword}).message(),
              HasSubstr("cookie key"));
  settings.cookie_key = std::string(kCookieKeyBytes, 'k');
  settings.forward_url = "http://127.0.0.1:9091/verify";
  settings.bypass_token = "ci-token";
  EXPECT_TRUE(ValidateAuthSettings(
                  settings, {AuthMode::kPassword, AuthMode::kForward, AuthMode::kBypassToken})
                  .ok());
}

class CookieKeyTest : public ::testing::Test {
 protected:
  CookieKeyTest() {
    char pattern[] = "/tmp/prevu-auth-key-XXXXXX";
    dir_ = mkdtemp(pattern);
  }
  ~CookieKeyTest() override { std::filesystem::remove_all(dir_); }

  std::string KeyPath() const { return dir_ + "/auth-cookie.key"; }

  std::string dir_;
};

TEST_F(CookieKeyTest, CreatesAPrivateKeyOnceAndReadsItAfterwards) {
  absl::StatusOr<std::string> first = LoadOrCreateCookieKey(dir_);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::string> second = LoadOrCreateCookieKey(dir_);
  ASSERT_TRUE(second.ok()) << second.status();

  EXPECT_EQ(first->size(), kCookieKeyBytes);
  EXPECT_EQ(*first, *second);
  EXPECT_NE(*first, std::string(kCookieKeyBytes, '\0'));
  struct stat info;
  ASSERT_EQ(stat(KeyPath().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  // Nothing but the key is left in the directory.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(CookieKeyTest, TwoDirectoriesGetDifferentKeys) {
  char pattern[] = "/tmp/prevu-auth-key-XXXXXX";
  std::string other = mkdtemp(pattern);

  absl::StatusOr<std::string> a = LoadOrCreateCookieKey(dir_);
  absl::StatusOr<std::string> b = LoadOrCreateCookieKey(other);
  std::filesystem::remove_all(other);

  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST_F(CookieKeyTest, AKeyFileOfTheWrongSizeIsAnError) {
  std::ofstream(KeyPath()) << "short";

  absl::StatusOr<std::string> key = LoadOrCreateCookieKey(dir_);

  EXPECT_EQ(key.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(key.status().message(), HasSubstr("auth-cookie.key"));
}

TEST_F(CookieKeyTest, AMissingDirectoryIsAnError) {
  absl::StatusOr<std::string> key = LoadOrCreateCookieKey(dir_ + "/absent");

  EXPECT_FALSE(key.ok());
  EXPECT_THAT(key.status().message(), HasSubstr("absent"));
}

}  // namespace
}  // namespace prevu::proxy

// The signed session cookie: what Set-Cookie says, and every way a cookie must be refused.
#include "proxy/auth/session_cookie.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace prevu::proxy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kKey(32, 'k');
constexpr absl::string_view kHost = "pr-12-shop.preview.example.com";

// The cookie value from a Set-Cookie field value ("prevu_session=VALUE; Path=/; ...").
std::string ValueOf(const std::string& set_cookie) {
  size_t start = set_cookie.find('=') + 1;
  return set_cookie.substr(start, set_cookie.find(';') - start);
}

class SessionCookieTest : public ::testing::Test {
 protected:
  base::FakeClock clock_;
  SessionCookie cookie_{kKey, absl::Hours(24), &clock_};
};

TEST_F(SessionCookieTest, SetCookieIsScopedToTheHostAndHiddenFromScripts) {
  std::string plain = cookie_.Issue(kHost, AuthMode::kPassword, false);
  std::string secure = cookie_.Issue(kHost, AuthMode::kPassword, true);

  EXPECT_THAT(plain, StartsWith("prevu_session="));
  EXPECT_THAT(plain, HasSubstr("; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax"));
  EXPECT_THAT(plain, Not(HasSubstr("Domain")));
  EXPECT_THAT(plain, Not(HasSubstr("Secure")));
  EXPECT_THAT(secure, HasSubstr("; Secure"));
  EXPECT_THAT(SessionCookie::Clear(true), HasSubstr("prevu_session=; Path=/; Max-Age=0"));
}

TEST_F(SessionCookieTest, AnIssuedCookieVerifiesForItsHostAndMode) {
  std::string value = ValueOf(cookie_.Issue(kHost, AuthMode::kPassword, false));

  EXPECT_TRUE(cookie_.VerifyValue(value, kHost, AuthMode::kPassword));
  EXPECT_TRUE(cookie_.Verify("a=1; prevu_session=" + value + "; b=2", kHost, AuthMode::kPassword));
  EXPECT_TRUE(cookie_.Verify("prevu_session=" + value, kHost, AuthMode::kPassword));
}

TEST_F(SessionCookieTest, ACookieOfAnotherHostOrModeIsRefused) {
  std::string value = ValueOf(cookie_.Issue(kHost, AuthMode::kPassword, false));

  EXPECT_FALSE(cookie_.VerifyValue(value, "pr-13-shop.preview.example.com", AuthMode::kPassword));
  EXPECT_FALSE(cookie_.VerifyValue(value, "preview.example.com", AuthMode::kPassword));
  EXPECT_FALSE(cookie_.VerifyValue(value, kHost, AuthMode::kBypassToken));
}

TEST_F(SessionCookieTest, ATamperedCookieIsRefused) {
  std::string value = ValueOf(cookie_.Issue(kHost, AuthMode::kPassword, false));
  size_t dot = value.find('.');

  std::string later = std::to_string(std::stoll(value.substr(0, dot)) + 1) + value.substr(dot);
  std::string signature = value;
  signature.back() = signature.back() == 'A' ? 'B' : 'A';
  std::string mode = value;
  mode[dot + 1] = '3';

  EXPECT_FALSE(cookie_.VerifyValue(later, kHost, AuthMode::kPassword));
  EXPECT_FALSE(cookie_.VerifyValue(signature, kHost, AuthMode::kPassword));
  EXPECT_FALSE(cookie_.VerifyValue(mode, kHost, AuthMode::kPassword));
  EXPECT_FALSE(cookie_.VerifyValue(value.substr(0, value.size() - 1), kHost, AuthMode::kPassword));
  EXPECT_FALSE(cookie_.VerifyValue(value + "A", kHost, AuthMode::kPassword));
  EXPECT_FALSE(cookie_.VerifyValue("", kHost, AuthMode::kPassword));
  EXPECT_FALSE(cookie_.VerifyValue("-5" + value.substr(dot), kHost, AuthMode::kPassword));
  EXPECT_FALSE(cookie_.Verify("prevu_sessionx=" + value, kHost, AuthMode::kPassword));
}

TEST_F(SessionCookieTest, ACookieSignedWithAnotherKeyIsRefused) {
  SessionCookie other(std::string(32, 'o'), absl::Hours(24), &clock_);
  std::string value = ValueOf(other.Issue(kHost, AuthMode::kPassword, false));

  EXPECT_FALSE(cookie_.VerifyValue(value, kHost, AuthMode::kPassword));
}

TEST_F(SessionCookieTest, ACookieExpiresAfterItsTtl) {
  std::string value = ValueOf(cookie_.Issue(kHost, AuthMode::kPassword, false));

  clock_.Advance(absl::Hours(24) - absl::Seconds(1));
  EXPECT_TRUE(cookie_.VerifyValue(value, kHost, AuthMode::kPassword));
  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(cookie_.VerifyValue(value, kHost, AuthMode::kPassword));
}

// A cookie issued while the TTL was a year stops working when the TTL is cut to an hour.
TEST_F(SessionCookieTest, AnExpiryBeyondTheTtlIsRefused) {
  SessionCookie long_lived(kKey, absl::Hours(24 * 365), &clock_);
  std::string value = ValueOf(long_lived.Issue(kHost, AuthMode::kPassword, false));

  EXPECT_TRUE(long_lived.VerifyValue(value, kHost, AuthMode::kPassword));
  EXPECT_FALSE(cookie_.VerifyValue(value, kHost, AuthMode::kPassword));
}

TEST_F(SessionCookieTest, AValidCookieBesideAStaleOneIsFound) {
  std::string stale = ValueOf(cookie_.Issue(kHost, AuthMode::kPassword, false));
  clock_.Advance(absl::Hours(25));
  std::string fresh = ValueOf(cookie_.Issue(kHost, AuthMode::kPassword, false));

  EXPECT_TRUE(cookie_.Verify("prevu_session=" + stale + ";prevu_session=" + fresh, kHost,
                             AuthMode::kPassword));
  EXPECT_FALSE(cookie_.Verify("prevu_session=" + stale, kHost, AuthMode::kPassword));
}

}  // namespace
}  // namespace prevu::proxy

// End-to-end: access control in front of previews served by `prevu serve`. With `[auth] mode =
// "password"` a preview host sends a browser to its login page, signs it in with a cookie for
// that host only, lets a bypass token through, and holds password guessing back; a repository
// whose `[[repos]]` entry says `auth_mode = "none"` is public; the apex (API, webhooks) is never
// behind the gate.
#include <chrono>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/e2e_support.h"
#include "tests/e2e/serve_fixture.h"

namespace prevu::e2e {
namespace {

using std::chrono::seconds;

constexpr const char* kPassword = "correct horse battery staple";
constexpr const char* kBypass = "ci-bypass-token-0123456789";
constexpr const char* kHello = "Hello from a Prevu preview";

class AuthE2eTest : public ServeFixture {
 protected:
  std::string AuthConfig() const {
    return Config(
        "[auth]\nmode = \"password\"\npassword = \"env:E2E_PASSWORD\"\n"
        "bypass_token = \"env:E2E_BYPASS\"\n"
        "[[repos]]\nprovider = \"github\"\nname = \"e2e/guarded\"\n"
        "[[repos]]\nprovider = \"github\"\nname = \"e2e/public\"\nauth_mode = \"none\"\n");
  }

  HttpResult Get(const std::string& host, const std::string& target,
                 const std::vector<std::pair<std::string, std::string>>& headers = {}) const {
    return Http(proxy_port_, "GET", host, target, headers);
  }

  HttpResult Login(const std::string& host, const std::string& password) const {
    return Http(
        proxy_port_, "POST", host, "/.prevu/login",
        {{"Content-Type", "application/x-www-form-urlencoded"}},
        absl::StrCat("password=", password == kPassword ? "correct+horse+battery+staple" : password,
                     "&next=%2Fabout.html"));
  }
};

TEST_F(AuthE2eTest, PasswordGateBypassTokenAndAPublicRepository) {
  OwnKey("github/e2e/guarded#1");
  OwnKey("github/e2e/public#2");
  StartPrevu(AuthConfig(), {{"E2E_PASSWORD", kPassword}, {"E2E_BYPASS", kBypass}});
  Open("e2e/guarded", 1);
  Open("e2e/public", 2);
  std::string guarded = HostOf(WaitForPhase("github/e2e/guarded/1", "ready", seconds(180)));
  std::string open = HostOf(WaitForPhase("github/e2e/public/2", "ready", seconds(180)));
  ASSERT_EQ(guarded, "pr-1-guarded.localhost");

  // A visitor without a session is sent to the login page, which shows a form.
  HttpResult visit = Get(guarded, "/about.html");
  EXPECT_EQ(visit.status, 302);
  EXPECT_TRUE(absl::StartsWith(visit.headers["location"], "/.prevu/login"))
      << visit.headers["location"];
  EXPECT_FALSE(absl::StrContains(visit.body, kHello));
  EXPECT_EQ(visit.headers["x-robots-tag"], "noindex");
  HttpResult form = Get(guarded, visit.headers["location"]);
  EXPECT_EQ(form.status, 200);
  EXPECT_TRUE(absl::StrContains(form.body, "name=\"password\"")) << form.body;

  // A wrong password shows the form again; the right one signs in for this host.
  HttpResult wrong = Login(guarded, "guess");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.headers.count("set-cookie"), 0u);
  HttpResult signed_in = Login(guarded, kPassword);
  ASSERT_EQ(signed_in.status, 303) << signed_in.body;
  EXPECT_EQ(signed_in.headers["location"], "/about.html");
  std::string set_cookie = signed_in.headers["set-cookie"];
  EXPECT_TRUE(absl::StrContains(set_cookie, "HttpOnly")) << set_cookie;
  EXPECT_TRUE(absl::StrContains(set_cookie, "SameSite=Lax")) << set_cookie;
  EXPECT_FALSE(absl::StrContains(set_cookie, "Secure")) << "plain HTTP: " << set_cookie;
  std::string cookie = set_cookie.substr(0, set_cookie.find(';'));

  HttpResult served = Get(guarded, "/", {{"Cookie", cookie}});
  EXPECT_EQ(served.status, 200);
  EXPECT_TRUE(absl::StrContains(served.body, kHello));
  EXPECT_EQ(served.headers["x-robots-tag"], "noindex");
  // A cookie whose signature was changed is worth nothing.
  std::string forged = cookie;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(Get(guarded, "/", {{"Cookie", forged}}).status, 302);

  // The bypass token passes (and only the right one).
  HttpResult bypassed = Get(guarded, "/", {{"X-Prevu-Bypass", kBypass}});
  EXPECT_EQ(bypassed.status, 200);
  EXPECT_TRUE(absl::StrContains(bypassed.body, kHello));
  EXPECT_NE(Get(guarded, "/", {{"X-Prevu-Bypass", "ci-bypass-token-wrong"}}).status, 200);

  // The repository with `auth_mode = "none"` is public; the apex is never gated.
  HttpResult public_visit = Get(open, "/");
  EXPECT_EQ(public_visit.status, 200);
  EXPECT_TRUE(absl::StrContains(public_visit.body, kHello));
  EXPECT_EQ(Get("localhost", "/healthz").status, 200);
  EXPECT_EQ(Get("localhost", "/api/v1/previews").status, 200);

  // Logging out clears the cookie.
  HttpResult logout = Get(guarded, "/.prevu/logout", {{"Cookie", cookie}});
  EXPECT_EQ(logout.status, 303);
  EXPECT_TRUE(absl::StrContains(logout.headers["set-cookie"], "Max-Age=0"))
      << logout.headers["set-cookie"];

  // Guessing is held back: after a few wrong passwords from one address, 429 with Retry-After.
  HttpResult limited;
  for (int i = 0; i < 20 && limited.status != 429; ++i) {
    limited = Login(guarded, absl::StrCat("guess", i));
  }
  EXPECT_EQ(limited.status, 429);
  EXPECT_FALSE(limited.headers["retry-after"].empty());
  EXPECT_EQ(Login(guarded, kPassword).status, 429);  // even the right one, until the window ends
}

}  // namespace
}  // namespace prevu::e2e

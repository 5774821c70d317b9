// Access control through a real ProxyServer on 127.0.0.1 with real upstreams: the password flow
// from the first redirect to the cookie, the cookies that must be refused, the bypass token,
// forward auth against a real auth service (allow, deny, unreachable), noindex on every page,
// and a route's own mode over the default.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "proxy/auth/session_cookie.h"
#include "proxy/proxy_server.h"
#include "tests/proxy/proxy_test_support.h"
#include "tests/proxy/test_http.h"

namespace prevu::proxy::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::string kKey(kCookieKeyBytes, 'k');
constexpr char kPassword[] = "hunter2";

std::string Get(const std::string& host, const std::string& path = "/",
                const std::string& fields = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + fields + "\r\n";
}

std::string PostForm(const std::string& host, const std::string& body) {
  return "POST /.prevu/login HTTP/1.1\r\nHost: " + host +
         "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// "Cookie: prevu_session=..." from a response's Set-Cookie.
std::string CookieField(const Client::Response& response) {
  std::string set_cookie = HeaderValue(response.head, "set-cookie");
  return "Cookie: " + set_cookie.substr(0, set_cookie.find(';')) + "\r\n";
}

Route ProtectedRoute(const std::string& host, uint16_t port, RouteAuth auth) {
  Route route = ReadyRoute(host, port);
  route.auth = auth;
  return route;
}

class AuthProxyTest : public ProxyFixture {
 protected:
  AuthProxyTest() {
    config_.noindex = true;
    config_.auth.password = kPassword;
    config_.auth.cookie_key = kKey;
  }

  // Starts the proxy with config_ and routes "a" and "b" (default mode) to the upstream.
  void Start(AuthMode mode) {
    config_.auth.mode = mode;
    StartProxy(config_);
    server_->routes()->Publish(
        {ReadyRoute("a", upstream_.port()), ReadyRoute("b", upstream_.port())});
  }

  // The status of the answer to `request` on a new connection.
  int StatusOf(const std::string& request) {
    Client client(port());
    client.Send(request);
    return client.Read().status;
  }

  // Signs in to `host` and returns the answer.
  Client::Response SignIn(const std::string& host, const std::string& password) {
    Client client(port());
    client.Send(PostForm(host, "password=" + password + "&next=%2Fcart"));
    return client.Read();
  }

  ProxyConfig config_;
  RecordingUpstream upstream_;
};

TEST_F(AuthProxyTest, WithoutACookieABrowserIsSentToTheLoginPage) {
  Start(AuthMode::kPassword);
  Client client(port());

  client.Send(Get("a", "/cart?x=1"));
  Client::Response redirect = client.Read();
  client.Send(Get("a", "/.prevu/login?next=%2Fcart%3Fx%3D1"));
  Client::Response page = client.Read();

  EXPECT_EQ(redirect.status, 302);
  EXPECT_EQ(HeaderValue(redirect.head, "location"), "/.prevu/login?next=/cart%3Fx%3D1");
  EXPECT_FALSE(redirect.closed);
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("type=\"password\""));
  EXPECT_THAT(page.body, HasSubstr("value=\"/cart?x=1\""));
  EXPECT_EQ(HeaderValue(page.head, "x-robots-tag"), "noindex");
  EXPECT_THAT(upstream_.requests(), IsEmpty());
}

TEST_F(AuthProxyTest, AWrongPasswordIsRefusedAndCounted) {
  Start(AuthMode::kPassword);

  Client::Response response = SignIn("a", "guess");

  EXPECT_EQ(response.status, 401);
  EXPECT_THAT(response.body, HasSubstr("Wrong password"));
  EXPECT_EQ(HeaderValue(response.head, "set-cookie"), "");
  EXPECT_EQ(server_->auth().count(AuthGate::kLoginFailures), 1u);
  EXPECT_THAT(registry_.Render(),
              HasSubstr("prevu_proxy_auth_logins_total{result=\"wrong_password\"} 1"));
}

TEST_F(AuthProxyTest, TheRightPasswordLetsTheNextRequestsIn) {
  Start(AuthMode::kPassword);
  Client client(port());

  // The form arrives after its head, as from a slow phone.
  std::string post = PostForm("a", std::string("password=") + kPassword + "&next=%2Fcart");
  client.Send(post.substr(0, post.size() - 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  client.Send(post.substr(post.size() - 10));
  Client::Response login = client.Read();
  client.Send(Get("a", "/cart", CookieField(login)));
  Client::Response cart = client.Read();

  EXPECT_EQ(login.status, 303);
  EXPECT_EQ(HeaderValue(login.head, "location"), "/cart");
  EXPECT_THAT(HeaderValue(login.head, "set-cookie"), HasSubstr("HttpOnly; SameSite=Lax"));
  EXPECT_EQ(cart.status, 200);
  EXPECT_EQ(cart.body, "upstream");
  EXPECT_EQ(HeaderValue(cart.head, "x-robots-tag"), "noindex");
  ASSERT_EQ(upstream_.requests().size(), 1u);
  EXPECT_THAT(upstream_.requests()[0].head, HasSubstr("GET /cart HTTP/1.1"));
  EXPECT_EQ(server_->auth().count(AuthGate::kLogins), 1u);
}

TEST_F(AuthProxyTest, TamperedAndExpiredCookiesAreRefused) {
  Start(AuthMode::kPassword);
  std::string cookie = CookieField(SignIn("a", kPassword));
  std::string tampered = cookie;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'x' ? 'y' : 'x';
  base::FakeClock yesterday(absl::Now() - absl::Hours(25));
  SessionCookie old(kKey, absl::Hours(24), &yesterday);
  std::string issued = old.Issue("a", AuthMode::kPassword, false);
  std::string expired = "Cookie: " + issued.substr(0, issued.find(';')) + "\r\n";
  Client client(port());

  client.Send(Get("a", "/", tampered));
  Client::Response tampered_response = client.Read();
  client.Send(Get("a", "/", expired));
  Client::Response expired_response = client.Read();
  client.Send(Get("a", "/", cookie));
  Client::Response valid_response = client.Read();

  EXPECT_EQ(tampered_response.status, 302);
  EXPECT_EQ(expired_response.status, 302);
  EXPECT_EQ(valid_response.status, 200);
  EXPECT_EQ(upstream_.requests().size(), 1u);
}

TEST_F(AuthProxyTest, ACookieOfOneHostIsRefusedOnAnother) {
  Start(AuthMode::kPassword);
  std::string cookie = CookieField(SignIn("a", kPassword));
  Client client(port());

  client.Send(Get("a", "/", cookie));
  Client::Response on_a = client.Read();
  client.Send(Get("b", "/", cookie));
  Client::Response on_b = client.Read();

  EXPECT_EQ(on_a.status, 200);
  EXPECT_EQ(on_b.status, 302);
}

TEST_F(AuthProxyTest, OtherMethodsWithoutACookieAreRefusedAndTheirBodyNotRead) {
  Start(AuthMode::kPassword);
  Client client(port());

  client.Send("POST /api HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
  Client::Response response = client.Read();

  EXPECT_EQ(response.status, 401);
  EXPECT_TRUE(response.closed);
  EXPECT_THAT(upstream_.requests(), IsEmpty());
}

TEST_F(AuthProxyTest, LoginAttemptsAreRateLimited) {
  Start(AuthMode::kPassword);
  for (int i = 0; i < config_.auth.login_attempts; ++i) {
    EXPECT_EQ(SignIn("a", "guess").status, 401);
  }

  Client::Response limited = SignIn("a", kPassword);

  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(HeaderValue(limited.head, "retry-after"), "60");
  EXPECT_EQ(HeaderValue(limited.head, "x-robots-tag"), "noindex");
}

TEST_F(AuthProxyTest, TheBypassTokenPassesAndNeverReachesTheUpstream) {
  config_.auth.bypass_token = "ci-secret";
  Start(AuthMode::kBypassToken);
  Client client(port());

  client.Send(Get("a", "/", "X-Prevu-Bypass: ci-secret\r\n"));
  Client::Response passed = client.Read();
  client.Send(Get("a", "/", "X-Prevu-Bypass: wrong\r\n"));
  Client::Response wrong = client.Read();
  client.Send(Get("a"));
  Client::Response none = client.Read();

  EXPECT_EQ(passed.status, 200);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(HeaderValue(none.head, "x-robots-tag"), "noindex");
  ASSERT_EQ(upstream_.requests().size(), 1u);
  EXPECT_EQ(HeaderValue(upstream_.requests()[0].head, "x-prevu-bypass"), "");
  EXPECT_EQ(server_->auth().count(AuthGate::kBypassed), 1u);
}

TEST_F(AuthProxyTest, TheBypassTokenAlsoPassesThePasswordMode) {
  config_.auth.bypass_token = "ci-secret";
  Start(AuthMode::kPassword);
  Client client(port());

  client.Send(Get("a", "/", "X-Prevu-Bypass: ci-secret\r\n"));

  EXPECT_EQ(client.Read().status, 200);
  EXPECT_EQ(HeaderValue(upstream_.requests().at(0).head, "x-prevu-bypass"), "");
}

TEST_F(AuthProxyTest, AForwardAuthApprovalCopiesItsFieldsUpstream) {
  RecordingUpstream auth([](const RecordingUpstream::Request&) {
    return std::string("HTTP/1.1 200 OK\r\nRemote-User: alice\r\nContent-Length: 0\r\n\r\n");
  });
  config_.auth.forward_url = "http://127.0.0.1:" + std::to_string(auth.port()) + "/verify";
  config_.auth.forward_response_headers = {"Remote-User"};
  Start(AuthMode::kForward);
  Client client(port());

  client.Send(Get("a", "/orders?page=2",
                  "Remote-User: mallory\r\nCookie: sso=abc\r\nAuthorization: Bearer t\r\n"));
  Client::Response response = client.Read();

  EXPECT_EQ(response.status, 200);
  ASSERT_EQ(upstream_.requests().size(), 1u);
  std::string head = upstream_.requests()[0].head;
  EXPECT_EQ(HeaderValue(head, "remote-user"), "alice");
  EXPECT_THAT(head, Not(HasSubstr("mallory")));
  ASSERT_EQ(auth.requests().size(), 1u);
  std::string asked = auth.requests()[0].head;
  EXPECT_THAT(asked, HasSubstr("GET /verify HTTP/1.1\r\n"));
  EXPECT_EQ(HeaderValue(asked, "x-forwarded-method"), "GET");
  EXPECT_EQ(HeaderValue(asked, "x-forwarded-proto"), "http");
  EXPECT_EQ(HeaderValue(asked, "x-forwarded-host"), "a");
  EXPECT_EQ(HeaderValue(asked, "x-forwarded-uri"), "/orders?page=2");
  EXPECT_EQ(HeaderValue(asked, "x-forwarded-for"), "127.0.0.1");
  EXPECT_EQ(HeaderValue(asked, "cookie"), "sso=abc");
  EXPECT_EQ(HeaderValue(asked, "authorization"), "Bearer t");
}

TEST_F(AuthProxyTest, AForwardAuthDenialIsReturnedAsIs) {
  RecordingUpstream auth([](const RecordingUpstream::Request&) {
    return std::string(
        "HTTP/1.1 302 Found\r\nLocation: https://sso.example.com/login\r\n"
        "Content-Length: 9\r\n\r\nsign in!\n");
  });
  config_.auth.forward_url = "http://127.0.0.1:" + std::to_string(auth.port()) + "/verify";
  Start(AuthMode::kForward);
  Client client(port());

  client.Send(Get("a"));
  Client::Response response = client.Read();
  client.Send(Get("a"));
  Client::Response again = client.Read();

  EXPECT_EQ(response.status, 302);
  EXPECT_EQ(HeaderValue(response.head, "location"), "https://sso.example.com/login");
  EXPECT_EQ(response.body, "sign in!\n");
  EXPECT_EQ(HeaderValue(response.head, "x-robots-tag"), "noindex");
  EXPECT_EQ(again.status, 302);
  EXPECT_THAT(upstream_.requests(), IsEmpty());
  EXPECT_EQ(auth.connections(), 1);  // the proxy kept its connection to the auth service
}

TEST_F(AuthProxyTest, AnUnreachableAuthServiceFailsClosed) {
  config_.auth.forward_url = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/verify";
  Start(AuthMode::kForward);
  Client client(port());

  client.Send(Get("a"));
  Client::Response response = client.Read();

  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(HeaderValue(response.head, "x-robots-tag"), "noindex");
  EXPECT_THAT(upstream_.requests(), IsEmpty());
  EXPECT_EQ(server_->auth().count(AuthGate::kForwardErrors), 1u);
}

TEST_F(AuthProxyTest, ASilentAuthServiceFailsClosedAfterTheTimeout) {
  RecordingUpstream auth([](const RecordingUpstream::Request&) { return std::string(); });
  config_.auth.forward_url = "http://127.0.0.1:" + std::to_string(auth.port()) + "/verify";
  config_.auth.forward_timeout = absl::Milliseconds(300);
  Start(AuthMode::kForward);
  Client client(port());

  auto start = std::chrono::steady_clock::now();
  client.Send(Get("a"));
  Client::Response response = client.Read();

  EXPECT_EQ(response.status, 503);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_THAT(upstream_.requests(), IsEmpty());
}

TEST_F(AuthProxyTest, ARouteModeOverridesTheDefault) {
  Start(AuthMode::kPassword);
  server_->routes()->Publish({ProtectedRoute("open", upstream_.port(), RouteAuth::kNone),
                              ReadyRoute("closed", upstream_.port())});

  EXPECT_EQ(StatusOf(Get("open")), 200);
  EXPECT_EQ(StatusOf(Get("closed")), 302);
}

TEST_F(AuthProxyTest, ARouteCanBeProtectedWhenTheDefaultIsOpen) {
  Start(AuthMode::kNone);
  server_->routes()->Publish({ProtectedRoute("closed", upstream_.port(), RouteAuth::kPassword),
                              ReadyRoute("open", upstream_.port())});

  EXPECT_EQ(StatusOf(Get("closed")), 302);
  EXPECT_EQ(StatusOf(Get("open")), 200);
}

// Protected or not, a preview's pages carry noindex: the proxied ones, the proxy's own, and the
// "being built" page.
TEST_F(AuthProxyTest, EveryPageOfAPreviewCarriesNoindex) {
  Start(AuthMode::kNone);
  Route building = ReadyRoute("building", upstream_.port());
  building.ready = false;
  server_->routes()->Publish({ReadyRoute("open", upstream_.port()), building});
  Client client(port());

  client.Send(Get("open"));
  Client::Response proxied = client.Read();
  client.Send(Get("building"));
  Client::Response built = client.Read();

  EXPECT_EQ(proxied.status, 200);
  EXPECT_EQ(HeaderValue(proxied.head, "x-robots-tag"), "noindex");
  EXPECT_EQ(built.status, 503);
  EXPECT_EQ(HeaderValue(built.head, "x-robots-tag"), "noindex");
}

TEST_F(AuthProxyTest, NoindexCanBeTurnedOff) {
  config_.noindex = false;
  Start(AuthMode::kPassword);
  Client client(port());

  client.Send(Get("a", "/.prevu/login"));
  Client::Response page = client.Read();

  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(HeaderValue(page.head, "x-robots-tag"), "");
}

TEST_F(AuthProxyTest, APreviewBeingBuiltStaysBehindTheLogin) {
  Start(AuthMode::kPassword);
  Route building = ReadyRoute("a", upstream_.port());
  building.ready = false;
  server_->routes()->Publish({building});

  EXPECT_EQ(StatusOf(Get("a")), 302);
}

}  // namespace
}  // namespace prevu::proxy::testing

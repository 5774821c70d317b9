// The decisions of the access-control gate, mode by mode, from parsed request heads: what passes
// (and what is stripped or added on the way), what is answered, and what is counted.
#include "proxy/auth/auth_gate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace prevu::proxy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using Kind = AuthDecision::Kind;

constexpr absl::string_view kHost = "pr-1-shop.example.com";

// The value of field `name` in a reply head, or "" when absent.
std::string FieldOf(const std::string& head, const std::string& name) {
  std::string needle = "\r\n" + name + ": ";
  size_t start = head.find(needle);
  if (start == std::string::npos) {
    return "";
  }
  start += needle.size();
  return head.substr(start, head.find("\r\n", start) - start);
}

class AuthGateTest : public ::testing::Test {
 protected:
  AuthGateTest() {
    settings_.password = "correct horse";
    settings_.cookie_key = std::string(kCookieKeyBytes, 'k');
    settings_.forward_url = "http://127.0.0.1:9091/verify";
    settings_.forward_response_headers = {"Remote-User", "Remote-Groups"};
  }

  void MakeGate(AuthMode mode, bool noindex = true) {
    settings_.mode = mode;
    gate_ = std::make_unique<AuthGate>(settings_, noindex, &clock_, &registry_);
  }

  // Parses `raw` (kept alive by the fixture) and asks the gate.
  AuthDecision Check(const std::string& raw, RouteAuth route = RouteAuth::kDefault,
                     bool https = false) {
    raw_.push_back(std::make_unique<std::string>(raw));
    heads_.push_back(std::make_unique<HttpHead>());
    EXPECT_TRUE(heads_.back()->ParseRequest(*raw_.back())) << raw;
    AuthRequest request;
    request.head = heads_.back().get();
    request.route_auth = route;
    request.client_address = "192.0.2.7";
    request.https = https;
    return gate_->Check(request);
  }

  static std::string Get(absl::string_view target, absl::string_view fields = "") {
    return absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: ", kHost, ":8080\r\n", fields, "\r\n");
  }

  static std::string PostLogin(absl::string_view body) {
    return absl::StrCat("POST /.prevu/login HTTP/1.1\r\nHost: ", kHost,
                        "\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                        "Content-Length: ",
                        body.size(), "\r\n\r\n");
  }

  // Signs in with `password` and returns the login reply.
  AuthReply Login(absl::string_view body, bool https = false) {
    AuthDecision decision = Check(PostLogin(body));
    EXPECT_EQ(decision.kind, Kind::kReadLoginForm);
    return gate_->Login(decision, body, https);
  }

  base::FakeClock clock_;
  base::MetricsRegistry registry_;
  AuthSettings settings_;
  std::unique_ptr<AuthGate> gate_;
  std::vector<std::unique_ptr<std::string>> raw_;
  std::vector<std::unique_ptr<HttpHead>> heads_;
};

TEST_F(AuthGateTest, ModeNonePassesUntouched) {
  MakeGate(AuthMode::kNone);

  AuthDecision decision = Check(Get("/", "X-Prevu-Bypass: anything\r\n"));

  EXPECT_TRUE(gate_->Trivial(RouteAuth::kDefault));
  EXPECT_TRUE(gate_->Trivial(RouteAuth::kNone));
  EXPECT_FALSE(gate_->Trivial(RouteAuth::kPassword));
  EXPECT_EQ(decision.kind, Kind::kPass);
  EXPECT_TRUE(decision.edit.empty());
}

TEST_F(AuthGateTest, TheBypassHeaderIsStrippedEvenWhereNoAuthIsNeeded) {
  settings_.bypass_token = "ci-token";
  MakeGate(AuthMode::kNone);

  AuthDecision with = Check(Get("/", "X-Prevu-Bypass: ci-token\r\n"));
  AuthDecision without = Check(Get("/"));

  EXPECT_FALSE(gate_->Trivial(RouteAuth::kDefault));
  EXPECT_EQ(with.kind, Kind::kPass);
  EXPECT_THAT(with.edit.remove, ElementsAre("x-prevu-bypass"));
  EXPECT_EQ(without.kind, Kind::kPass);
  EXPECT_TRUE(without.edit.empty());
}

TEST_F(AuthGateTest, PasswordModeSendsABrowserWithoutCookieToTheLoginPage) {
  MakeGate(AuthMode::kPassword);

  AuthDecision get = Check(Get("/cart?item=1&x=y"));
  AuthDecision post =
      Check(absl::StrCat("POST /cart HTTP/1.1\r\nHost: ", kHost, "\r\nContent-Length: 0\r\n\r\n"));

  ASSERT_EQ(get.kind, Kind::kReply);
  EXPECT_EQ(get.reply.status, 302);
  EXPECT_EQ(FieldOf(get.reply.head, "Location"), "/.prevu/login?next=/cart%3Fitem%3D1%26x%3Dy");
  EXPECT_EQ(FieldOf(get.reply.head, "X-Robots-Tag"), "noindex");
  ASSERT_EQ(post.kind, Kind::kReply);
  EXPECT_EQ(post.reply.status, 401);
  EXPECT_THAT(post.reply.body, HasSubstr("/.prevu/login"));
  EXPECT_EQ(gate_->count(AuthGate::kRefused), 2u);
}

TEST_F(AuthGateTest, TheLoginPageIsASelfContainedFormThatKeepsTheTarget) {
  MakeGate(AuthMode::kPassword);

  AuthDecision page = Check(Get("/.prevu/login?next=%2Fcart%3Fa%3D%22%3E"));
  AuthDecision elsewhere = Check(Get("/.prevu/login?next=%2F%2Fevil.example%2F"));
  AuthDecision head =
      Check(absl::StrCat("HEAD /.prevu/login HTTP/1.1\r\nHost: ", kHost, "\r\n\r\n"));

  ASSERT_EQ(page.kind, Kind::kReply);
  EXPECT_EQ(page.reply.status, 200);
  EXPECT_THAT(page.reply.body, HasSubstr("<form method=\"post\" action=\"/.prevu/login\">"));
  EXPECT_THAT(page.reply.body, HasSubstr("name=\"password\""));
  EXPECT_THAT(page.reply.body, HasSubstr("name=\"viewport\""));
  EXPECT_THAT(page.reply.body, HasSubstr("value=\"/cart?a=&quot;&gt;\""));  // escaped
  EXPECT_THAT(page.reply.body, Not(HasSubstr("src=")));
  EXPECT_THAT(page.reply.body, Not(HasSubstr("href=\"http")));
  EXPECT_THAT(FieldOf(page.reply.head, "Content-Security-Policy"), HasSubstr("default-src 'none'"));
  EXPECT_EQ(FieldOf(page.reply.head, "Cache-Control"), "no-store");
  EXPECT_EQ(FieldOf(page.reply.head, "Content-Length"), std::to_string(page.reply.body.size()));
  EXPECT_THAT(elsewhere.reply.body, HasSubstr("name=\"next\" value=\"/\""));
  EXPECT_EQ(head.reply.status, 200);
  EXPECT_THAT(head.reply.body, IsEmpty());
  // HEAD announces the length of the page GET would give.
  AuthDecision get = Check(Get("/.prevu/login"));
  EXPECT_EQ(FieldOf(head.reply.head, "Content-Length"), std::to_string(get.reply.body.size()));
}

TEST_F(AuthGateTest, AWrongPasswordIsRefusedAndCounted) {
  MakeGate(AuthMode::kPassword);

  AuthReply reply = Login("password=wrong&next=%2Fcart");

  EXPECT_EQ(reply.status, 401);
  EXPECT_THAT(reply.body, HasSubstr("Wrong password"));
  EXPECT_THAT(reply.body, HasSubstr("name=\"next\" value=\"/cart\""));
  EXPECT_EQ(FieldOf(reply.head, "Set-Cookie"), "");
  EXPECT_EQ(gate_->count(AuthGate::kLoginFailures), 1u);
  EXPECT_EQ(gate_->count(AuthGate::kLogins), 0u);
  EXPECT_THAT(registry_.Render(),
              HasSubstr("prevu_proxy_auth_logins_total{result=\"wrong_password\"} 1"));
}

TEST_F(AuthGateTest, TheRightPasswordGivesACookieThatLetsTheNextRequestsIn) {
  MakeGate(AuthMode::kPassword);

  AuthReply reply = Login("password=correct+horse&next=%2Fcart%3Fa%3D1");
  std::string set_cookie = FieldOf(reply.head, "Set-Cookie");
  std::string cookie = set_cookie.substr(0, set_cookie.find(';'));

  EXPECT_EQ(reply.status, 303);
  EXPECT_EQ(FieldOf(reply.head, "Location"), "/cart?a=1");
  EXPECT_THAT(set_cookie, HasSubstr("HttpOnly; SameSite=Lax"));
  EXPECT_THAT(set_cookie, Not(HasSubstr("Secure")));
  EXPECT_EQ(gate_->count(AuthGate::kLogins), 1u);
  AuthDecision next = Check(Get("/cart?a=1", "Cookie: theme=dark; " + cookie + "\r\n"));
  EXPECT_EQ(next.kind, Kind::kPass);
  EXPECT_TRUE(next.edit.empty());
  AuthDecision post = Check(absl::StrCat("POST /api HTTP/1.1\r\nHost: ", kHost,
                                         "\r\nCookie: ", cookie, "\r\nContent-Length: 2\r\n\r\n"));
  EXPECT_EQ(post.kind, Kind::kPass);
}

TEST_F(AuthGateTest, OverHttpsTheCookieIsSecure) {
  MakeGate(AuthMode::kPassword);

  AuthReply reply = Login("password=correct+horse", /*https=*/true);

  EXPECT_THAT(FieldOf(reply.head, "Set-Cookie"), HasSubstr("; Secure"));
  EXPECT_EQ(FieldOf(reply.head, "Location"), "/");
}

TEST_F(AuthGateTest, ALoginNeverRedirectsToAnotherHost) {
  MakeGate(AuthMode::kPassword);

  for (const char* next : {"https%3A%2F%2Fevil.example%2F", "%2F%2Fevil.example", "%2F%5Cevil",
                           "%2Fa%0D%0ASet-Cookie%3A+x%3D1"}) {
    AuthReply reply = Login(absl::StrCat("password=correct+horse&next=", next));
    EXPECT_EQ(FieldOf(reply.head, "Location"), "/") << next;
  }
}

TEST_F(AuthGateTest, ACookieOfAnotherHostOrAnExpiredOneIsRefused) {
  MakeGate(AuthMode::kPassword);
  std::string set_cookie = FieldOf(Login("password=correct+horse").head, "Set-Cookie");
  std::string cookie = "Cookie: " + set_cookie.substr(0, set_cookie.find(';')) + "\r\n";

  AuthDecision other = Check("GET / HTTP/1.1\r\nHost: pr-2-shop.example.com\r\n" + cookie + "\r\n");
  clock_.Advance(settings_.cookie_ttl);
  AuthDecision expired = Check(Get("/", cookie));

  EXPECT_EQ(other.kind, Kind::kReply);
  EXPECT_EQ(other.reply.status, 302);
  EXPECT_EQ(expired.kind, Kind::kReply);
  EXPECT_EQ(expired.reply.status, 302);
}

TEST_F(AuthGateTest, LoginAttemptsAreRateLimitedPerAddress) {
  MakeGate(AuthMode::kPassword);
  for (int i = 0; i < settings_.login_attempts; ++i) {
    EXPECT_EQ(Login("password=wrong").status, 401);
  }

  AuthDecision limited = Check(PostLogin("password=correct+horse"));

  ASSERT_EQ(limited.kind, Kind::kReply);
  EXPECT_EQ(limited.reply.status, 429);
  EXPECT_EQ(FieldOf(limited.reply.head, "Retry-After"), "60");
  EXPECT_EQ(gate_->count(AuthGate::kRateLimited), 1u);
  clock_.Advance(settings_.login_window);
  EXPECT_EQ(Login("password=correct+horse").status, 303);
}

TEST_F(AuthGateTest, ALoginPostMustBeASmallForm) {
  MakeGate(AuthMode::kPassword);
  std::string start = absl::StrCat("POST /.prevu/login HTTP/1.1\r\nHost: ", kHost, "\r\n");

  AuthDecision chunked = Check(start +
                               "Content-Type: application/x-www-form-urlencoded\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n");
  AuthDecision large = Check(start +
                             "Content-Type: application/x-www-form-urlencoded\r\n"
                             "Content-Length: 5000\r\n\r\n");
  AuthDecision json = Check(start + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n");
  AuthDecision put = Check(
      absl::StrCat("PUT /.prevu/login HTTP/1.1\r\nHost: ", kHost, "\r\nContent-Length: 0\r\n\r\n"));

  EXPECT_EQ(chunked.reply.status, 411);
  EXPECT_EQ(large.reply.status, 413);
  EXPECT_EQ(json.reply.status, 415);
  EXPECT_EQ(put.reply.status, 405);
  EXPECT_EQ(FieldOf(put.reply.head, "Allow"), "GET, HEAD, POST");
}

TEST_F(AuthGateTest, LogoutClearsTheCookie) {
  MakeGate(AuthMode::kPassword);

  AuthDecision decision = Check(Get("/.prevu/logout"));

  ASSERT_EQ(decision.kind, Kind::kReply);
  EXPECT_EQ(decision.reply.status, 303);
  EXPECT_EQ(FieldOf(decision.reply.head, "Location"), "/.prevu/login");
  EXPECT_THAT(FieldOf(decision.reply.head, "Set-Cookie"), HasSubstr("prevu_session=; "));
  EXPECT_THAT(FieldOf(decision.reply.head, "Set-Cookie"), HasSubstr("Max-Age=0"));
}

TEST_F(AuthGateTest, BypassModeLetsOnlyTheTokenIn) {
  settings_.bypass_token = "ci-token";
  MakeGate(AuthMode::kBypassToken);

  AuthDecision none = Check(Get("/"));
  AuthDecision wrong = Check(Get("/", "X-Prevu-Bypass: ci-tokem\r\n"));
  AuthDecision prefix = Check(Get("/", "X-Prevu-Bypass: ci-toke\r\n"));
  AuthDecision right = Check(Get("/", "x-prevu-bypass: ci-token\r\n"));

  EXPECT_EQ(none.reply.status, 401);
  EXPECT_EQ(FieldOf(none.reply.head, "X-Robots-Tag"), "noindex");
  EXPECT_EQ(wrong.reply.status, 401);
  EXPECT_EQ(prefix.reply.status, 401);
  EXPECT_EQ(right.kind, Kind::kPass);
  EXPECT_THAT(right.edit.remove, ElementsAre("x-prevu-bypass"));
  EXPECT_EQ(gate_->count(AuthGate::kBypassed), 1u);
  EXPECT_EQ(gate_->count(AuthGate::kRefused), 3u);
}

TEST_F(AuthGateTest, TheTokenAlsoPassesThePasswordAndForwardModes) {
  settings_.bypass_token = "ci-token";
  MakeGate(AuthMode::kPassword);

  AuthDecision password = Check(Get("/", "X-Prevu-Bypass: ci-token\r\n"));
  AuthDecision forward = Check(Get("/", "X-Prevu-Bypass: ci-token\r\n"), RouteAuth::kForward);

  EXPECT_EQ(password.kind, Kind::kPass);
  EXPECT_THAT(password.edit.remove, ElementsAre("x-prevu-bypass"));
  EXPECT_EQ(forward.kind, Kind::kPass);
  EXPECT_THAT(forward.edit.remove, ElementsAre("x-prevu-bypass", "remote-user", "remote-groups"));
}

TEST_F(AuthGateTest, TheRouteModeOverridesTheDefault) {
  MakeGate(AuthMode::kPassword);

  EXPECT_EQ(Check(Get("/"), RouteAuth::kNone).kind, Kind::kPass);
  EXPECT_EQ(Check(Get("/"), RouteAuth::kDefault).reply.status, 302);

  MakeGate(AuthMode::kNone);
  EXPECT_EQ(Check(Get("/"), RouteAuth::kPassword).reply.status, 302);
  EXPECT_EQ(Check(Get("/"), RouteAuth::kDefault).kind, Kind::kPass);
}

TEST_F(AuthGateTest, AModeWithoutItsSettingsFailsClosed) {
  settings_.password.clear();
  settings_.forward_url = "not a url";
  MakeGate(AuthMode::kPassword);

  EXPECT_EQ(Check(Get("/")).reply.status, 503);
  EXPECT_EQ(Check(Get("/"), RouteAuth::kForward).reply.status, 503);
  EXPECT_EQ(Check(Get("/"), RouteAuth::kBypassToken).reply.status, 503);
  EXPECT_EQ(gate_->count(AuthGate::kMisconfigured), 3u);
}

TEST_F(AuthGateTest, ForwardModeDescribesTheRequestToTheAuthService) {
  MakeGate(AuthMode::kForward);

  AuthDecision decision =
      Check(absl::StrCat("DELETE /items/7?force=1 HTTP/1.1\r\nHost: ", kHost,
                         ":8443\r\nCookie: a=1\r\nCookie: b=2\r\nAuthorization: Bearer xyz\r\n"
                         "X-Forwarded-For: 6.6.6.6\r\nRemote-User: root\r\n\r\n"),
            RouteAuth::kDefault, /*https=*/true);

  ASSERT_EQ(decision.kind, Kind::kAskForward);
  EXPECT_EQ(decision.forward.method, "DELETE");
  EXPECT_EQ(decision.forward.proto, "https");
  EXPECT_EQ(decision.forward.host, absl::StrCat(kHost, ":8443"));
  EXPECT_EQ(decision.forward.uri, "/items/7?force=1");
  EXPECT_EQ(decision.forward.forwarded_for, "192.0.2.7");  // an untrusted peer's chain is dropped
  EXPECT_EQ(decision.forward.cookie, "a=1; b=2");
  EXPECT_EQ(decision.forward.authorization, "Bearer xyz");
  EXPECT_THAT(decision.edit.remove, ElementsAre("remote-user", "remote-groups"));
}

TEST_F(AuthGateTest, AnApprovalCopiesTheConfiguredFieldsUpstream) {
  MakeGate(AuthMode::kForward);
  AuthDecision decision = Check(Get("/", "Remote-User: root\r\n"));
  ForwardAnswer answer;
  answer.outcome = ForwardAnswer::Outcome::kAnswered;
  answer.status = 200;
  answer.fields = {
      {"Remote-User", "alice"}, {"Remote-Email", "a@example.com"}, {"remote-groups", "dev"}};

  AuthDecision passed = gate_->OnForwardAnswer(std::move(decision), answer, false);

  EXPECT_EQ(passed.kind, Kind::kPass);
  EXPECT_THAT(passed.edit.add,
              ElementsAre(Pair("Remote-User", "alice"), Pair("remote-groups", "dev")));
  std::string head = "GET / HTTP/1.1\r\nHost: a\r\nRemote-User: root\r\nX-Prevu-Bypass: t\r\n\r\n";
  passed.edit.remove.push_back("x-prevu-bypass");
  passed.edit.ApplyTo(&head);
  EXPECT_EQ(head, "GET / HTTP/1.1\r\nHost: a\r\nRemote-User: alice\r\nremote-groups: dev\r\n\r\n");
}

TEST_F(AuthGateTest, ADenialIsReturnedAsTheAuthServiceWroteIt) {
  MakeGate(AuthMode::kForward);
  ForwardAnswer answer;
  answer.outcome = ForwardAnswer::Outcome::kAnswered;
  answer.status = 302;
  answer.reason = "Found";
  answer.fields = {{"Location", "https://sso.example.com/?rd=x"},
                   {"Set-Cookie", "sso=1"},
                   {"Connection", "close, X-Hop"},
                   {"X-Hop", "1"},
                   {"Content-Length", "4"},
                   {"Transfer-Encoding", "chunked"}};
  answer.body = "gone";

  AuthDecision denied = gate_->OnForwardAnswer(Check(Get("/")), answer, false);
  AuthDecision head = gate_->OnForwardAnswer(Check(Get("/")), answer, true);

  ASSERT_EQ(denied.kind, Kind::kReply);
  EXPECT_EQ(denied.reply.head,
            "HTTP/1.1 302 Found\r\nLocation: https://sso.example.com/?rd=x\r\n"
            "Set-Cookie: sso=1\r\nContent-Length: 4\r\nX-Robots-Tag: noindex\r\n");
  EXPECT_EQ(denied.reply.body, "gone");
  EXPECT_EQ(head.reply.body, "");
  EXPECT_EQ(gate_->count(AuthGate::kRefused), 2u);
}

TEST_F(AuthGateTest, AnAuthServiceThatDoesNotAnswerFailsClosed) {
  MakeGate(AuthMode::kForward, /*noindex=*/false);
  for (auto outcome : {ForwardAnswer::Outcome::kUnreachable, ForwardAnswer::Outcome::kTimeout,
                       ForwardAnswer::Outcome::kInvalid}) {
    ForwardAnswer answer;
    answer.outcome = outcome;

    AuthDecision decision = gate_->OnForwardAnswer(Check(Get("/")), answer, false);

    ASSERT_EQ(decision.kind, Kind::kReply);
    EXPECT_EQ(decision.reply.status, 503);
    EXPECT_EQ(FieldOf(decision.reply.head, "X-Robots-Tag"), "");
  }
  EXPECT_EQ(gate_->count(AuthGate::kForwardErrors), 3u);
}

TEST_F(AuthGateTest, BehindATrustedProxyTheForwardedClientIsLimited) {
  MakeGate(AuthMode::kPassword);
  std::string post = PostLogin("password=wrong");
  auto attempt = [&](absl::string_view client) {
    raw_.push_back(std::make_unique<std::string>(absl::StrCat(
        post.substr(0, post.size() - 2), "X-Forwarded-For: 6.6.6.6, ", client, "\r\n\r\n")));
    heads_.push_back(std::make_unique<HttpHead>());
    EXPECT_TRUE(heads_.back()->ParseRequest(*raw_.back()));
    AuthRequest request;
    request.head = heads_.back().get();
    request.client_address = "10.0.0.1";  // the trusted proxy
    request.trusted_peer = true;
    return gate_->Check(request).kind;
  };

  for (int i = 0; i < settings_.login_attempts; ++i) {
    EXPECT_EQ(attempt("198.51.100.1"), Kind::kReadLoginForm);
  }
  EXPECT_EQ(attempt("198.51.100.1"), Kind::kReply);
  EXPECT_EQ(attempt("198.51.100.2"), Kind::kReadLoginForm);
}

}  // namespace
}  // namespace prevu::proxy

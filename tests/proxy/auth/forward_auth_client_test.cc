// The forward-auth subrequest against a real HTTP server on 127.0.0.1: what it sends, how it
// reads allow and deny answers, keep-alive reuse and its retry, and the failures that make the
// proxy fail closed (refused, silent, oversized).
#include "proxy/auth/forward_auth_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "tests/proxy/test_http.h"

namespace prevu::proxy {
namespace {

using testing::ClosedPort;
using ::testing::Contains;
using ::testing::HasSubstr;
using testing::HeaderValue;
using ::testing::Pair;
using testing::RecordingUpstream;
using Outcome = ForwardAnswer::Outcome;

ForwardAuthRequest SampleRequest() {
  ForwardAuthRequest request;
  request.method = "POST";
  request.proto = "https";
  request.host = "pr-1-shop.example.com";
  request.uri = "/cart?x=1";
  request.forwarded_for = "192.0.2.7";
  request.cookie = "sso=abc";
  request.authorization = "Basic YTpi";
  return request;
}

// Runs an io_context on its own thread, as a proxy worker does, and asks from there.
class ForwardAuthClientTest : public ::testing::Test {
 protected:
  ~ForwardAuthClientTest() override {
    client_.reset();
    work_.reset();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  void MakeClient(uint16_t port, ForwardAuthClient::Options options = {}) {
    absl::StatusOr<ForwardTarget> target =
        ParseForwardUrl("http://127.0.0.1:" + std::to_string(port) + "/verify?app=prevu");
    ASSERT_TRUE(target.ok());
    absl::StatusOr<std::unique_ptr<ForwardAuthClient>> client =
        ForwardAuthClient::Create(io_, *target, options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    thread_ = std::thread([this] { io_.run(); });
  }

  ForwardAnswer Ask(const ForwardAuthRequest& request = SampleRequest()) {
    std::promise<ForwardAnswer> promise;
    asio::co_spawn(
        io_, [&]() -> asio::awaitable<void> { promise.set_value(co_await client_->Ask(request)); },
        asio::detached);
    return promise.get_future().get();
  }

  size_t Idle() {
    std::promise<size_t> promise;
    asio::post(io_, [&] { promise.set_value(client_->idle()); });
    return promise.get_future().get();
  }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(io_)};
  std::unique_ptr<ForwardAuthClient> client_;
  std::thread thread_;
};

TEST_F(ForwardAuthClientTest, DescribesTheRequestAndReadsAnApproval) {
  RecordingUpstream auth([](const RecordingUpstream::Request&) {
    return std::string(
        "HTTP/1.1 200 OK\r\nRemote-User: alice\r\nRemote-Groups: dev\r\nContent-Length: 2\r\n\r\n"
        "ok");
  });
  MakeClient(auth.port());

  ForwardAnswer answer = Ask();

  EXPECT_EQ(answer.outcome, Outcome::kAnswered);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "ok");
  EXPECT_THAT(answer.fields, Contains(Pair("Remote-User", "alice")));
  EXPECT_THAT(answer.fields, Contains(Pair("Remote-Groups", "dev")));
  ASSERT_EQ(auth.requests().size(), 1u);
  std::string head = auth.requests()[0].head;
  EXPECT_THAT(head, HasSubstr("GET /verify?app=prevu HTTP/1.1\r\n"));
  EXPECT_EQ(HeaderValue(head, "host"), "127.0.0.1:" + std::to_string(auth.port()));
  EXPECT_EQ(HeaderValue(head, "x-forwarded-method"), "POST");
  EXPECT_EQ(HeaderValue(head, "x-forwarded-proto"), "https");
  EXPECT_EQ(HeaderValue(head, "x-forwarded-host"), "pr-1-shop.example.com");
  EXPECT_EQ(HeaderValue(head, "x-forwarded-uri"), "/cart?x=1");
  EXPECT_EQ(HeaderValue(head, "x-forwarded-for"), "192.0.2.7");
  EXPECT_EQ(HeaderValue(head, "cookie"), "sso=abc");
  EXPECT_EQ(HeaderValue(head, "authorization"), "Basic YTpi");
}

TEST_F(ForwardAuthClientTest, ReadsADenialWithItsBody) {
  RecordingUpstream auth([](const RecordingUpstream::Request&) {
    return std::string(
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"prevu\"\r\n"
        "Transfer-Encoding: chunked\r\n\r\n5\r\nnope!\r\n0\r\n\r\n");
  });
  MakeClient(auth.port());
  ForwardAuthRequest request = SampleRequest();
  request.cookie.clear();
  request.authorization.clear();

  ForwardAnswer answer = Ask(request);

  EXPECT_EQ(answer.outcome, Outcome::kAnswered);
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(answer.reason, "Unauthorized");
  EXPECT_EQ(answer.body, "nope!");
  EXPECT_THAT(answer.fields, Contains(Pair("WWW-Authenticate", "Basic realm=\"prevu\"")));
  std::string head = auth.requests().at(0).head;
  EXPECT_EQ(HeaderValue(head, "cookie"), "");
  EXPECT_EQ(HeaderValue(head, "authorization"), "");
}

TEST_F(ForwardAuthClientTest, ReusesAKeptAliveConnection) {
  RecordingUpstream auth;
  MakeClient(auth.port());

  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Ask().status, 200) << i;
  }

  EXPECT_EQ(auth.connections(), 1);
  EXPECT_EQ(Idle(), 1u);
}

TEST_F(ForwardAuthClientTest, AsksAgainWhenTheServiceClosedAKeptAliveConnection) {
  RecordingUpstream auth;
  auth.CloseAfterEachResponse();
  MakeClient(auth.port());

  EXPECT_EQ(Ask().status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the close arrive
  EXPECT_EQ(Ask().status, 200);

  EXPECT_EQ(auth.connections(), 2);
  EXPECT_EQ(auth.requests().size(), 2u);
}

TEST_F(ForwardAuthClientTest, ARefusedConnectionIsUnreachable) {
  MakeClient(testing::ClosedPort());

  EXPECT_EQ(Ask().outcome, Outcome::kUnreachable);
}

TEST_F(ForwardAuthClientTest, ASilentServiceTimesOut) {
  RecordingUpstream auth([](const RecordingUpstream::Request&) { return std::string(); });
  ForwardAuthClient::Options options;
  options.timeout = absl::Milliseconds(300);
  MakeClient(auth.port(), options);

  auto start = std::chrono::steady_clock::now();
  ForwardAnswer answer = Ask();
  auto took = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(answer.outcome, Outcome::kTimeout);
  EXPECT_GE(took, std::chrono::milliseconds(290));
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_EQ(Idle(), 0u);
}

// Both framings: Boost 1.74's parser checks a Content-Length against its limit only through
// the client's own check.
TEST_F(ForwardAuthClientTest, AnOversizedAnswerIsInvalid) {
  std::atomic<int> served{0};
  RecordingUpstream auth([&](const RecordingUpstream::Request&) {
    std::string body(5000, 'x');
    return ++served == 1 ? RecordingUpstream::Ok(body)
                         : "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n1388\r\n" +
                               body + "\r\n0\r\n\r\n";
  });
  ForwardAuthClient::Options options;
  options.max_body_bytes = 1000;
  MakeClient(auth.port(), options);

  EXPECT_EQ(Ask().outcome, Outcome::kInvalid);
  EXPECT_EQ(Ask().outcome, Outcome::kInvalid);
  EXPECT_EQ(served.load(), 2);
}

TEST_F(ForwardAuthClientTest, AnAnswerThatIsNotHttpIsUnreachable) {
  RecordingUpstream auth(
      [](const RecordingUpstream::Request&) { return std::string("SSH-2.0-OpenSSH\r\n\r\n"); });
  MakeClient(auth.port());

  EXPECT_NE(Ask().outcome, Outcome::kAnswered);
}

}  // namespace
}  // namespace prevu::proxy

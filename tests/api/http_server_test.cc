// The HTTP server over real loopback sockets, with a handler that echoes what it was given.
#include "api/http_server.h"

#include <atomic>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/api/http_test_client.h"

namespace prevu::api {
namespace {

using testing::ClientResponse;
using testing::HttpTestClient;

class EchoHandler : public HttpHandler {
 public:
  HttpResponse Handle(const HttpRequest& request) override {
    if (request.Path() == "/throw") {
      throw std::runtime_error("handler bug");
    }
    return HttpResponse::Json(200, {{"method", request.method},
                                    {"target", request.target},
                                    {"body", request.body},
                                    {"x_test", std::string(request.Header("X-Test"))}});
  }

  void OnRefused(const HttpRequest& request, const HttpResponse& response) override {
    absl::MutexLock lock(&mu_);
    refused_.push_back(absl::StrCat(response.status, " ", request.method, " ", request.target));
  }

  std::vector<std::string> refused() {
    absl::MutexLock lock(&mu_);
    return refused_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> refused_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(HttpServerOptions options) {
    options.listen = "127.0.0.1:0";
    options.body_limit = 64 * 1024;
    options.threads = 2;
    if (server_) {
      server_->Stop();
    }
    absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(options, &handler_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  HttpTestClient Connect() {
    absl::StatusOr<HttpTestClient> client = HttpTestClient::Connect(server_->port());
    EXPECT_TRUE(client.ok()) << client.status();
    return *std::move(client);
  }

  EchoHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

nlohmann::json Json(const ClientResponse& response) { return nlohmann::json::parse(response.body); }

TEST_F(HttpServerTest, HandsTheRequestToTheHandler) {
  HttpTestClient client = Connect();
  absl::StatusOr<ClientResponse> response =
      client.Request("POST", "/echo?q=1", {{"X-Test", "yes"}}, "hello");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("Content-Type"), "application/json");
  EXPECT_EQ(
      Json(*response),
      nlohmann::json(
          {{"method", "POST"}, {"target", "/echo?q=1"}, {"body", "hello"}, {"x_test", "yes"}}));
}

TEST_F(HttpServerTest, KeepsTheConnectionAliveForTheNextRequest) {
  HttpTestClient client = Connect();
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<ClientResponse> response = client.Request("GET", absl::StrCat("/", i));
    ASSERT_TRUE(response.ok()) << i << ": " << response.status();
    EXPECT_EQ(Json(*response)["target"], absl::StrCat("/", i));
  }
}

TEST_F(HttpServerTest, ClosesWhenTheClientAsks) {
  HttpTestClient client = Connect();
  absl::StatusOr<ClientResponse> response = client.Request("GET", "/", {{"Connection", "close"}});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(client.PeerClosed());
}

TEST_F(HttpServerTest, RefusesABodyOverTheLimitFromContentLengthAlone) {
  HttpTestClient client = Connect();
  ASSERT_TRUE(
      client.SendRaw("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n").ok());
  absl::StatusOr<ClientResponse> response = client.Read();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(Json(*response)["error"], "request body is larger than the limit of 65536 bytes");
  EXPECT_TRUE(client.PeerClosed());
  EXPECT_EQ(handler_.refused(), std::vector<std::string>{"413 POST /upload"});
}

TEST_F(HttpServerTest, AcceptsABodyAtTheLimit) {
  HttpTestClient client = Connect();
  absl::StatusOr<ClientResponse> response =
      client.Request("POST", "/upload", {}, std::string(64 * 1024, 'x'));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpServerTest, RefusesAChunkedBodyThatGrowsOverTheLimit) {
  HttpTestClient client = Connect();
  ASSERT_TRUE(
      client.SendRaw("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
          .ok());
  std::string chunk = absl::StrCat("4000\r\n", std::string(0x4000, 'x'), "\r\n");
  for (int i = 0; i < 5; ++i) {  // 80 KiB
    ASSERT_TRUE(client.SendRaw(chunk).ok()) << i;
  }
  ASSERT_TRUE(client.SendRaw("0\r\n\r\n").ok());
  absl::StatusOr<ClientResponse> response = client.Read();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(client.PeerClosed());
}

TEST_F(HttpServerTest, RefusesHeadersOver16KiB) {
  HttpTestClient client = Connect();
  ASSERT_TRUE(client
                  .SendRaw(absl::StrCat("GET / HTTP/1.1\r\nHost: x\r\nX-Big: ",
                                        std::string(17 * 1024, 'a'), "\r\n\r\n"))
                  .ok());
  absl::StatusOr<ClientResponse> response = client.Read();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 431);
  EXPECT_TRUE(client.PeerClosed());
}

TEST_F(HttpServerTest, AnswersMalformedHttpWith400AndCloses) {
  for (const char* bytes : {"NOT HTTP AT ALL\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
                            "POST / HTTP/1.1\r\nContent-Length: ten\r\n\r\n"}) {
    HttpTestClient client = Connect();
    ASSERT_TRUE(client.SendRaw(bytes).ok());
    absl::StatusOr<ClientResponse> response = client.Read();
    ASSERT_TRUE(response.ok()) << bytes << ": " << response.status();
    EXPECT_EQ(response->status, 400) << bytes;
    EXPECT_NE(Json(*response)["error"].get<std::string>().find("malformed HTTP request"),
              std::string::npos);
    EXPECT_TRUE(client.PeerClosed()) << bytes;
  }
}

TEST_F(HttpServerTest, AnswersExpectContinueBeforeTheBody) {
  HttpTestClient client = Connect();
  ASSERT_TRUE(client
                  .SendRaw("POST /c HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                           "Content-Length: 5\r\n\r\n")
                  .ok());
  absl::StatusOr<ClientResponse> interim = client.Read();
  ASSERT_TRUE(interim.ok()) << interim.status();
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.SendRaw("hello").ok());
  absl::StatusOr<ClientResponse> response = client.Read();
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(Json(*response)["body"], "hello");
}

TEST_F(HttpServerTest, AHandlerThatThrowsGets500AndTheServerGoesOn) {
  HttpTestClient client = Connect();
  absl::StatusOr<ClientResponse> response = client.Request("GET", "/throw");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(client.Request("GET", "/after")->status, 200);
}

TEST_F(HttpServerTest, ClosesAnIdleConnectionAtTheDeadline) {
  Start({.io_timeout = absl::Milliseconds(100)});
  HttpTestClient client = Connect();
  ASSERT_EQ(client.Request("GET", "/")->status, 200);
  EXPECT_TRUE(client.PeerClosed());  // blocks until the server gives up on the next request
}

TEST_F(HttpServerTest, StopClosesOpenConnectionsAndReturns) {
  HttpTestClient idle = Connect();
  HttpTestClient busy = Connect();
  ASSERT_EQ(busy.Request("GET", "/")->status, 200);
  ASSERT_TRUE(busy.SendRaw("GET / HTTP/1.1\r\nHost: x\r\n").ok());  // a request half sent
  server_->Stop();
  EXPECT_TRUE(idle.PeerClosed());
  EXPECT_TRUE(busy.PeerClosed());
  EXPECT_FALSE(HttpTestClient::Connect(server_->port()).ok());
  server_->Stop();  // idempotent
}

TEST(HttpServerStartTest, ExplainsBadListenAddresses) {
  EchoHandler handler;
  for (const char* listen : {"9080", "example.com:80", "127.0.0.1:99999", "[::1]:x"}) {
    absl::StatusOr<std::unique_ptr<HttpServer>> server =
        HttpServer::Start({.listen = listen}, &handler);
    EXPECT_TRUE(absl::IsInvalidArgument(server.status())) << listen;
    EXPECT_NE(server.status().message().find("must be IP:PORT"), absl::string_view::npos);
  }
}

TEST(HttpServerStartTest, ExplainsAPortInUse) {
  EchoHandler handler;
  absl::StatusOr<std::unique_ptr<HttpServer>> first = HttpServer::Start({}, &handler);
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::unique_ptr<HttpServer>> second =
      HttpServer::Start({.listen = absl::StrCat("127.0.0.1:", (*first)->port())}, &handler);
  EXPECT_TRUE(absl::IsUnavailable(second.status()));
  EXPECT_NE(second.status().message().find("cannot listen on 127.0.0.1:"), absl::string_view::npos);
}

}  // namespace
}  // namespace prevu::api

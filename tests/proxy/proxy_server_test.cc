// The proxy end to end over real loopback sockets: routing answers, strictness before anything
// reaches an upstream, keep-alive pooling, pipelining, 100-continue, chunked relay, WebSocket
// tunnels, timeouts, route swaps under load, connection limits and drain.
#include "proxy/proxy_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "tests/proxy/proxy_test_support.h"
#include "tests/proxy/test_http.h"

namespace prevu::proxy::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Get(const std::string& host, const std::string& path = "/") {
  return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
}

// The request target of a recorded request's head.
std::string TargetOf(const RecordingUpstream::Request& request) {
  size_t start = request.head.find(' ') + 1;
  return request.head.substr(start, request.head.find(' ', start) - start);
}

class ProxyServerTest : public ProxyFixture {};

TEST_F(ProxyServerTest, ForwardsARequestWithForwardingHeaders) {
  RecordingUpstream upstream;
  StartProxy();
  server_->routes()->Publish({ReadyRoute("shop.example.com", upstream.port())});
  Client client(port());

  ASSERT_TRUE(client.Send(
      "GET /cart?x=1 HTTP/1.1\r\nHost: Shop.Example.com:8080\r\nX-Forwarded-For: 6.6.6.6\r\n"
      "Connection: keep-alive, X-Private\r\nX-Private: secret\r\nUser-Agent: test\r\n\r\n"));
  Client::Response response = client.Read();

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "upstream");
  ASSERT_EQ(upstream.requests().size(), 1u);
  std::string head = upstream.requests()[0].head;
  EXPECT_THAT(head, HasSubstr("GET /cart?x=1 HTTP/1.1\r\n"));
  EXPECT_EQ(HeaderValue(head, "x-forwarded-for"), "127.0.0.1");
  EXPECT_EQ(HeaderValue(head, "x-forwarded-host"), "Shop.Example.com:8080");
  EXPECT_EQ(HeaderValue(head, "x-forwarded-proto"), "http");
  EXPECT_EQ(HeaderValue(head, "user-agent"), "test");
  EXPECT_EQ(HeaderValue(head, "x-request-id").size(), 32u);
  EXPECT_THAT(head, Not(HasSubstr("X-Private")));
  EXPECT_THAT(head, Not(HasSubstr("Connection")));
}

TEST_F(ProxyServerTest, PassesAnIncomingRequestIdUpstream) {
  RecordingUpstream upstream;
  StartProxy();
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});
  Client client(port());

  client.Send("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: trace-77\r\n\r\n");

  EXPECT_EQ(client.Read().status, 200);
  EXPECT_EQ(HeaderValue(upstream.requests().at(0).head, "x-request-id"), "trace-77");
}

struct Refused {
  const char* name;
  std::string request;
  int status;
};

// Every malformed request gets its status and the connection is closed; none of them reaches
// the upstream, which would record it.
TEST_F(ProxyServerTest, MalformedRequestsNeverReachTheUpstream) {
  RecordingUpstream upstream;
  ProxyConfig config;
  config.max_header_bytes = 4096;
  StartProxy(config);
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});
  const std::string post = "POST / HTTP/1.1\r\nHost: a\r\n";
  std::vector<Refused> cases = {
      {"missing host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"repeated host", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400},
      {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", 400},
      {"bad length", post + "Content-Length: 1x\r\n\r\n1", 400},
      {"two lengths", post + "Content-Length: 1\r\nContent-Length: 2\r\n\r\n12", 400},
      {"chunked not last", post + "Transfer-Encoding: chunked, identity\r\n\r\n", 400},
      {"unsupported coding", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
      {"length and chunked",
       post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"bad chunk size", post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400},
      {"chunk size overflow", post + "Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
       400},
      {"control character", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n", 400},
      {"bare LF", "GET / HTTP/1.1\nHost: a\n\n", 400},
      {"invalid target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"target without slash", "GET a HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"headers too large", "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(5000, 'x'), 431},
      {"request line too long", "GET /" + std::string(5000, 'x'), 414},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
      {"CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 501},
  };

  for (const Refused& refused : cases) {
    Client client(port());
    client.Send(refused.request);
    Client::Response response = client.Read();

    EXPECT_EQ(response.status, refused.status) << refused.name;
    EXPECT_TRUE(response.closed) << refused.name;
    EXPECT_TRUE(client.WaitClosed()) << refused.name;
  }
  EXPECT_EQ(upstream.connections(), 0);
  EXPECT_TRUE(upstream.requests().empty());
  EXPECT_EQ(server_->metrics().LocalReplies(400), 14u);
}

TEST_F(ProxyServerTest, KeepAliveReusesUpstreamConnections) {
  RecordingUpstream upstream;
  ProxyConfig config;
  config.threads = 1;
  StartProxy(config);
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});

  for (int connection = 0; connection < 5; ++connection) {
    Client client(port());
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(client.Send(Get("a")));
      ASSERT_EQ(client.Read().status, 200);
    }
  }

  EXPECT_EQ(upstream.requests().size(), 100u);
  EXPECT_EQ(upstream.connections(), 1);
  EXPECT_EQ(server_->metrics().UpstreamConnects(), 1u);
  EXPECT_EQ(server_->metrics().UpstreamReuses(), 99u);
}

TEST_F(ProxyServerTest, RequestOnAPooledConnectionTheUpstreamClosedIsSentAgain) {
  RecordingUpstream upstream;
  upstream.CloseAfterEachResponse();
  ProxyConfig config;
  config.threads = 1;
  StartProxy(config);
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});
  Client client(port());

  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.Send(Get("a")));
    EXPECT_EQ(client.Read().status, 200) << "request " << i;
  }

  EXPECT_EQ(upstream.requests().size(), 3u);
  EXPECT_EQ(upstream.connections(), 3);
  EXPECT_EQ(server_->metrics().UpstreamErrors(UpstreamError::kReset), 0u);
}

TEST_F(ProxyServerTest, HeadAndNoContentResponsesHaveNoBody) {
  RecordingUpstream upstream([](const RecordingUpstream::Request& request) {
    if (TargetOf(request) == "/empty") {
      return std::string("HTTP/1.1 204 No Content\r\n\r\n");
    }
    return std::string("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
  });
  StartProxy();
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});
  Client client(port());

  client.Send("HEAD /big HTTP/1.1\r\nHost: a\r\n\r\n" + Get("a", "/empty") + Get("a", "/empty"));
  Client::Response first = client.Read(10000, /*head_request=*/true);

  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(HeaderValue(first.head, "content-length"), "1000");
  EXPECT_EQ(client.Read().status, 204);
  EXPECT_EQ(client.Read().status, 204);
}

TEST_F(ProxyServerTest, PipelinedRequestsAreAnsweredInOrder) {
  RecordingUpstream upstream([](const RecordingUpstream::Request& request) {
    return RecordingUpstream::Ok(TargetOf(request));
  });
  StartProxy();
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});
  Client client(port());

  client.Send(Get("a", "/1") + "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc" +
              Get("a", "/3"));

  EXPECT_EQ(client.Read().body, "/1");
  EXPECT_EQ(client.Read().body, "/2");
  EXPECT_EQ(client.Read().body, "/3");
  EXPECT_EQ(upstream.requests().at(1).body, "abc");
}

TEST_F(ProxyServerTest, LocalAnswersForUnknownBuildingAndUnreachableHosts) {
  Route building;
  building.host = "building.example.com";
  StartProxy();
  server_->routes()->Publish({building, ReadyRoute("down.example.com", ClosedPort())});
  Client client(port());

  client.Send(Get("nobody.example.com"));
  Client::Response unknown = client.Read();
  client.Send(Get("building.example.com"));
  Client::Response not_ready = client.Read();
  client.Send(Get("down.example.com"));
  Client::Response refused = client.Read();

  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(unknown.body, HasSubstr("No preview here"));
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(HeaderValue(not_ready.head, "retry-after"), "5");
  EXPECT_THAT(not_ready.body, HasSubstr("http-equiv=\"refresh\""));
  EXPECT_THAT(not_ready.body, HasSubstr("being built"));
  EXPECT_EQ(refused.status, 502);
  EXPECT_EQ(server_->metrics().LocalReplies(404), 1u);
  EXPECT_EQ(server_->metrics().LocalReplies(503), 1u);
  EXPECT_EQ(server_->metrics().LocalReplies(502), 1u);
  EXPECT_EQ(server_->metrics().UpstreamErrors(UpstreamError::kRefused), 1u);
}

TEST_F(ProxyServerTest, SlowUpstreamGets504) {
  std::atomic<bool> release{false};
  RecordingUpstream upstream([&](const RecordingUpstream::Request&) {
    while (!release) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return RecordingUpstream::Ok("late");
  });
  ProxyConfig config;
  config.upstream_response_timeout = absl::Milliseconds(200);
  StartProxy(config);
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});
  Client client(port());

  client.Send(Get("a"));
  Client::Response response = client.Read();
  release = true;

  EXPECT_EQ(response.status, 504);
  EXPECT_THAT(response.body, HasSubstr("did not answer in time"));
  EXPECT_EQ(server_->metrics().UpstreamErrors(UpstreamError::kResponseTimeout), 1u);
}

TEST_F(ProxyServerTest, UpstreamThatNeverAcceptsGets504AfterTheConnectTimeout) {
  // A listener with a backlog of 0 that never accepts: once its queue holds a connection, the
  // kernel drops further SYNs, so the proxy's connect neither succeeds nor is refused.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 0), 0);
  socklen_t size = sizeof(address);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {  // more than the queue holds; the last ones hang, nonblocking
    int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(filler, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    fillers.push_back(filler);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));

  ProxyConfig config;
  config.upstream_connect_timeout = absl::Milliseconds(300);
  StartProxy(config);
  server_->routes()->Publish({ReadyRoute("a", ntohs(address.sin_port))});
  Client client(port());
  auto sent = std::chrono::steady_clock::now();
  client.Send(Get("a"));
  Client::Response response = client.Read();
  auto waited = std::chrono::steady_clock::now() - sent;

  EXPECT_EQ(response.status, 504);
  EXPECT_EQ(server_->metrics().UpstreamErrors(UpstreamError::kConnectTimeout), 1u);
  EXPECT_GE(waited, std::chrono::milliseconds(250));  // it did wait for the connect
  for (int fd : fillers) {
    ::close(fd);
  }
  ::close(listener);
}

TEST_F(ProxyServerTest, SlowHeaderClientIsCutOff) {
  RecordingUpstream upstream;
  ProxyConfig config;
  config.header_timeout = absl::Milliseconds(300);
  StartProxy(config);
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});
  Client client(port());

  // One byte every 50 ms: the head would take far longer than the header timeout.
  std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: " + std::string(200, 'x');
  size_t sent = 0;
  Client::Response response;
  while (sent < head.size() && response.status == 0 && client.Send(head.substr(sent, 1))) {
    ++sent;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (sent % 10 == 0) {
      response = client.Read(1);
    }
  }
  if (response.status == 0) {
    response = client.Read();
  }

  EXPECT_EQ(response.status, 408);
  EXPECT_LT(sent, head.size());
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_EQ(upstream.connections(), 0);
}

TEST_F(ProxyServerTest, ExpectContinueIsAnsweredBeforeTheBody) {
  RecordingUpstream upstream;
  StartProxy();
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});
  Client client(port());

  client.Send("PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  Client::Response interim = client.Read();
  client.Send("hello");
  Client::Response final_response = client.Read();

  EXPECT_EQ(interim.status, 100);
  EXPECT_EQ(final_response.status, 200);
  ASSERT_EQ(upstream.requests().size(), 1u);
  EXPECT_EQ(upstream.requests()[0].body, "hello");
  EXPECT_THAT(upstream.requests()[0].head, Not(HasSubstr("Expect")));
}

TEST_F(ProxyServerTest, ExpectContinueOverTheLimitGets413WithoutContinue) {
  RecordingUpstream upstream;
  ProxyConfig config;
  config.max_body_bytes = 4;
  StartProxy(config);
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});
  Client client(port());

  client.Send("PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");

  EXPECT_EQ(client.Read().status, 413);
  EXPECT_EQ(upstream.connections(), 0);
}

TEST_F(ProxyServerTest, RouteOverridesTheBodyLimit) {
  RecordingUpstream upstream;
  ProxyConfig config;
  config.max_body_bytes = 4;
  StartProxy(config);
  Route route = ReadyRoute("a", upstream.port());
  route.max_body_bytes = 10;
  server_->routes()->Publish({route});
  Client client(port());

  client.Send("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\n\r\n12345678");

  EXPECT_EQ(client.Read().status, 200);
  EXPECT_EQ(upstream.requests().at(0).body, "12345678");
}

TEST_F(ProxyServerTest, ChunkedBodiesAreRelayedBothWays) {
  RecordingUpstream upstream([](const RecordingUpstream::Request&) {
    return std::string(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n");
  });
  StartProxy();
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});
  Client client(port());

  client.Send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  client.Send("2;ext=1\r\nde\r\n0\r\n\r\n");
  Client::Response response = client.Read();

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "wikipedia");
  EXPECT_FALSE(response.closed);
  EXPECT_EQ(upstream.requests().at(0).body, "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n");
}

TEST_F(ProxyServerTest, Http10ClientGetsAChunkedResponseDecoded) {
  RecordingUpstream upstream([](const RecordingUpstream::Request&) {
    return std::string(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nold\r\n4\r\n web\r\n0\r\n\r\n");
  });
  StartProxy();
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});
  Client client(port());

  client.Send("GET / HTTP/1.0\r\nHost: a\r\n\r\n");
  Client::Response response = client.Read();

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "old web");
  EXPECT_TRUE(response.closed);
}

// A WebSocket-like upstream: answers the upgrade with 101, then echoes every byte.
class EchoUpgradeUpstream {
 public:
  EchoUpgradeUpstream() {
    listen_fd_ = ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~EchoUpgradeUpstream() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  std::string head() const { return head_; }

 private:
  void Serve() {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) {
      return;
    }
    char buffer[4096];
    while (head_.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        ::close(fd);
        return;
      }
      head_.append(buffer, n);
    }
    std::string switching =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    ::send(fd, switching.data(), switching.size(), MSG_NOSIGNAL);
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) {
      ::send(fd, buffer, n, MSG_NOSIGNAL);
    }
    ::close(fd);
  }

  int listen_fd_;
  uint16_t port_;
  std::string head_;
  std::thread thread_;
};

TEST_F(ProxyServerTest, WebSocketUpgradeIsTunnelledBothWays) {
  EchoUpgradeUpstream upstream;
  StartProxy();
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});
  Client client(port());

  client.Send(
      "GET /hmr HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  Client::Response switching = client.Read();
  ASSERT_EQ(switching.status, 101);
  EXPECT_EQ(HeaderValue(switching.head, "upgrade"), "websocket");

  std::string echoed;
  for (const std::string& message :
       std::vector<std::string>{"ping", "reload please", std::string(100000, 'z')}) {
    ASSERT_TRUE(client.Send(message));
    echoed.clear();
    char buffer[65536];
    while (echoed.size() < message.size()) {
      ssize_t n = ::recv(client.fd(), buffer, sizeof(buffer), 0);
      ASSERT_GT(n, 0);
      echoed.append(buffer, n);
    }
    EXPECT_EQ(echoed, message);
  }
  EXPECT_THAT(upstream.head(), HasSubstr("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_EQ(HeaderValue(upstream.head(), "upgrade"), "websocket");

  // Closing the client's side ends the tunnel: the upstream's echo loop ends and closes too.
  ::shutdown(client.fd(), SHUT_WR);
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(ProxyServerTest, RouteSwapUnderLoadFailsNoRequestOnUnchangedRoutes) {
  RecordingUpstream upstream;
  StartProxy();
  server_->routes()->Publish({ReadyRoute("stable.example.com", upstream.port())});
  std::atomic<int> failures{0};
  std::atomic<int> done{0};
  std::atomic<bool> stop{false};

  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      Client client(port());
      for (int i = 0; i < 300; ++i) {
        if (!client.Send(Get("stable.example.com")) || client.Read().status != 200) {
          ++failures;
        }
      }
      ++done;
    });
  }
  int publishes = 0;
  while (done < 4) {
    std::vector<Route> routes = {ReadyRoute("stable.example.com", upstream.port())};
    for (int i = 0; i < 50; ++i) {
      routes.push_back(ReadyRoute("pr-" + std::to_string(publishes * 50 + i) + ".example.com", 1));
    }
    server_->routes()->Publish(routes);
    ++publishes;
  }
  for (std::thread& thread : clients) {
    thread.join();
  }

  EXPECT_EQ(failures, 0);
  EXPECT_GT(publishes, 1);
  EXPECT_EQ(upstream.requests().size(), 1200u);
}

TEST_F(ProxyServerTest, NewConnectionsWaitAtTheLimitWhileOldOnesWork) {
  RecordingUpstream upstream;
  ProxyConfig config;
  config.threads = 1;
  config.max_connections = 1;
  StartProxy(config);
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});
  auto first = std::make_unique<Client>(port());
  first->Send(Get("a"));
  ASSERT_EQ(first->Read().status, 200);

  Client second(port());
  second.Send(Get("a"));
  EXPECT_EQ(second.Read(300).status, 0);  // not served while the first is open
  first->Send(Get("a"));
  EXPECT_EQ(first->Read().status, 200);  // the old one keeps working
  first.reset();

  EXPECT_EQ(second.Read().status, 200);
}

TEST_F(ProxyServerTest, DrainFinishesTheRequestInFlight) {
  std::atomic<bool> received{false};
  RecordingUpstream upstream([&](const RecordingUpstream::Request&) {
    received = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return RecordingUpstream::Ok("finished");
  });
  StartProxy();
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});
  Client busy(port());
  Client idle(port());
  idle.Send(Get("a"));
  ASSERT_EQ(idle.Read().status, 200);
  received = false;

  busy.Send(Get("a"));
  while (!received) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::thread drain([&] { server_->Drain(); });
  Client::Response response = busy.Read();
  drain.join();

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "finished");
  EXPECT_TRUE(response.closed);
  EXPECT_TRUE(idle.WaitClosed());
  Client late(port());
  EXPECT_FALSE(late.Send(Get("a")) && late.Read(500).status != 0);
}

TEST_F(ProxyServerTest, MetricsAreRenderedForPrometheus) {
  RecordingUpstream upstream;
  StartProxy();
  server_->routes()->Publish({ReadyRoute("a", upstream.port())});
  Client client(port());
  client.Send(Get("a"));
  ASSERT_EQ(client.Read().status, 200);
  client.Send(Get("b"));
  ASSERT_EQ(client.Read().status, 404);
  // A proxied response is counted just after its last byte is written; wait for that.
  for (int i = 0; i < 1000 && server_->metrics().Requests(2) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  std::string text = registry_.Render();

  EXPECT_THAT(text, HasSubstr("prevu_proxy_requests_total{code=\"2xx\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("prevu_proxy_requests_total{code=\"4xx\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("prevu_proxy_request_seconds_count{code=\"2xx\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("prevu_proxy_local_replies_total{code=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("prevu_proxy_upstream_errors_total{kind=\"refused\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("prevu_proxy_active_connections 1\n"));
}

}  // namespace
}  // namespace prevu::proxy::testing

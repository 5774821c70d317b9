// The proxy's TLS listener end to end over real sockets, with a TLS client written against
// OpenSSL in the test: certificates chosen by SNI (exact, wildcard, unknown), swapped without a
// restart, versions, ALPN, session resumption, the handshake deadline, requests proxied over TLS
// (forwarding headers, a large body, a WebSocket tunnel), and the plain port's ACME answers and
// redirects to HTTPS.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "proxy/acme/challenge_store.h"
#include "proxy/proxy_server.h"
#include "tests/proxy/proxy_test_support.h"
#include "tests/proxy/test_http.h"
#include "tests/proxy/tls/tls_test_support.h"

namespace prevu::proxy::testing {
namespace {

using ::testing::HasSubstr;

std::string Get(const std::string& host, const std::string& path = "/") {
  return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
}

// Waits up to 5 seconds for `condition`: the server counts a handshake once the client's last
// message reaches it, which may be after the client is done.
template <typename Condition>
bool Eventually(Condition condition) {
  for (int i = 0; i < 500 && !condition(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

TlsOptions Sni(const std::string& name) {
  TlsOptions options;
  options.server_name = name;
  return options;
}

class TlsServerTest : public ProxyFixture {
 protected:
  // Starts the proxy on 127.0.0.1 with a TLS listener on a free port; `config.tls_listen` may
  // carry a public port for redirects.
  void StartTls(ProxyConfig config = ProxyConfig(), const ChallengeStore* challenges = nullptr) {
    config.listen_host = "127.0.0.1";
    config.listen_port = 0;
    config.threads = 2;
    config.drain_timeout = absl::Seconds(5);
    uint16_t public_port = config.tls_listen ? config.tls_listen->public_port : 0;
    config.tls_listen = TlsListen{"127.0.0.1", 0, public_port};
    server_ = std::make_unique<ProxyServer>(config, &registry_);
    server_->SetChallengeStore(challenges);
    absl::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  void Install(const TestCertificate& certificate) {
    absl::Status status =
        server_->certificates()->Install(certificate.chain_pem, certificate.key_pem);
    ASSERT_TRUE(status.ok()) << status;
  }

  uint16_t tls_port() const { return server_->tls_port(); }
  const ProxyMetrics& metrics() const { return server_->metrics(); }
};

TEST_F(TlsServerTest, SniPicksTheCertificateForTheName) {
  StartTls();
  Install(SelfSigned("alpha", {"alpha.test"}));
  Install(SelfSigned("beta", {"beta.test"}, KeyType::kRsa2048));

  TlsClient alpha(tls_port(), Sni("alpha.test"));
  TlsClient beta(tls_port(), Sni("BETA.test"));

  ASSERT_TRUE(alpha.ok()) << alpha.error();
  ASSERT_TRUE(beta.ok()) << beta.error();
  EXPECT_EQ(alpha.PeerCommonName(), "alpha");
  EXPECT_EQ(beta.PeerCommonName(), "beta");
  EXPECT_TRUE(Eventually([&] { return metrics().TlsHandshakes() == 2; }));
}

TEST_F(TlsServerTest, WildcardCoversOneLabelAndAnExactNameWins) {
  StartTls();
  Install(SelfSigned("wild", {"*.wild.test"}));
  Install(SelfSigned("exact", {"www.wild.test"}));

  TlsClient one_label(tls_port(), Sni("pr-7.wild.test"));
  TlsClient exact(tls_port(), Sni("www.wild.test"));
  TlsClient two_labels(tls_port(), Sni("a.b.wild.test"));
  TlsClient bare(tls_port(), Sni("wild.test"));

  ASSERT_TRUE(one_label.ok()) << one_label.error();
  EXPECT_EQ(one_label.PeerCommonName(), "wild");
  ASSERT_TRUE(exact.ok()) << exact.error();
  EXPECT_EQ(exact.PeerCommonName(), "exact");
  EXPECT_FALSE(two_labels.ok());
  EXPECT_FALSE(bare.ok());
}

TEST_F(TlsServerTest, UnknownOrMissingNameIsRefusedWithUnrecognizedName) {
  StartTls();
  Install(SelfSigned("known", {"known.test"}));

  TlsClient unknown(tls_port(), Sni("unknown.test"));
  TlsClient nameless(tls_port(), TlsOptions());

  EXPECT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.error(), HasSubstr("unrecognized name"));
  EXPECT_FALSE(nameless.ok());
  EXPECT_THAT(nameless.error(), HasSubstr("unrecognized name"));
  EXPECT_TRUE(Eventually([&] { return metrics().TlsFailures(TlsFailure::kUnknownName) == 2; }));
  EXPECT_EQ(metrics().TlsHandshakes(), 0u);
}

TEST_F(TlsServerTest, SwappedCertificateServesNewConnectionsOnly) {
  RecordingUpstream upstream;
  StartTls();
  server_->routes()->Publish({ReadyRoute("swap.test", upstream.port())});
  Install(SelfSigned("old", {"swap.test"}));
  TlsClient before(tls_port(), Sni("swap.test"));
  ASSERT_TRUE(before.ok()) << before.error();

  Install(SelfSigned("new", {"swap.test"}));
  TlsClient after(tls_port(), Sni("swap.test"));

  ASSERT_TRUE(after.ok()) << after.error();
  EXPECT_EQ(after.PeerCommonName(), "new");
  EXPECT_EQ(before.PeerCommonName(), "old");
  ASSERT_TRUE(before.Send(Get("swap.test")));
  EXPECT_THAT(before.ReadResponse(), HasSubstr("HTTP/1.1 200 OK"));
}

TEST_F(TlsServerTest, Tls11IsRefusedAndBothCurrentVersionsWork) {
  StartTls();
  Install(SelfSigned("v", {"v.test"}));
  TlsOptions old_client = Sni("v.test");
  old_client.min_version = TLS1_1_VERSION;
  old_client.max_version = TLS1_1_VERSION;
  TlsOptions tls12 = Sni("v.test");
  tls12.max_version = TLS1_2_VERSION;

  TlsClient old(tls_port(), old_client);
  TlsClient v12(tls_port(), tls12);
  TlsClient v13(tls_port(), Sni("v.test"));

  EXPECT_FALSE(old.ok());
  EXPECT_THAT(old.error(), HasSubstr("protocol version"));  // the proxy's alert
  EXPECT_TRUE(Eventually([&] { return metrics().TlsFailures(TlsFailure::kRefused) == 1; }));
  ASSERT_TRUE(v12.ok()) << v12.error();
  EXPECT_EQ(v12.Version(), "TLSv1.2");
  EXPECT_THAT(SSL_CIPHER_get_name(SSL_get_current_cipher(v12.ssl())),
              ::testing::StartsWith("ECDHE-ECDSA-"));
  ASSERT_TRUE(v13.ok()) << v13.error();
  EXPECT_EQ(v13.Version(), "TLSv1.3");
}

TEST_F(TlsServerTest, Tls12RefusesSuitesWithoutForwardSecrecyOrAead) {
  StartTls();
  Install(SelfSigned("rsa", {"rsa.test"}, KeyType::kRsa2048));
  TlsOptions cbc = Sni("rsa.test");
  cbc.max_version = TLS1_2_VERSION;
  cbc.ciphers = "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA384";
  TlsOptions rsa_key_exchange = Sni("rsa.test");
  rsa_key_exchange.max_version = TLS1_2_VERSION;
  rsa_key_exchange.ciphers = "AES128-GCM-SHA256";
  TlsOptions modern = Sni("rsa.test");
  modern.max_version = TLS1_2_VERSION;

  TlsClient with_cbc(tls_port(), cbc);
  TlsClient with_rsa_key_exchange(tls_port(), rsa_key_exchange);
  TlsClient with_modern(tls_port(), modern);

  EXPECT_FALSE(with_cbc.ok());
  EXPECT_FALSE(with_rsa_key_exchange.ok());
  ASSERT_TRUE(with_modern.ok()) << with_modern.error();
  EXPECT_THAT(SSL_CIPHER_get_name(SSL_get_current_cipher(with_modern.ssl())),
              ::testing::StartsWith("ECDHE-RSA-AES"));
  EXPECT_TRUE(Eventually([&] { return metrics().TlsFailures(TlsFailure::kRefused) == 2; }));
}

TEST_F(TlsServerTest, AlpnNegotiatesHttp11) {
  StartTls();
  Install(SelfSigned("alpn", {"alpn.test"}));
  TlsOptions browser = Sni("alpn.test");
  browser.alpn = {"h2", "http/1.1"};
  TlsOptions h2_only = Sni("alpn.test");
  h2_only.alpn = {"h2"};
  TlsOptions no_alpn = Sni("alpn.test");
  no_alpn.alpn.clear();

  TlsClient with_both(tls_port(), browser);
  TlsClient without_http11(tls_port(), h2_only);
  TlsClient without(tls_port(), no_alpn);

  ASSERT_TRUE(with_both.ok()) << with_both.error();
  EXPECT_EQ(with_both.Alpn(), "http/1.1");
  EXPECT_FALSE(without_http11.ok());
  EXPECT_THAT(without_http11.error(), HasSubstr("no application protocol"));
  ASSERT_TRUE(without.ok()) << without.error();
  EXPECT_EQ(without.Alpn(), "");
}

class TlsResumptionTest : public TlsServerTest, public ::testing::WithParamInterface<int> {};

TEST_P(TlsResumptionTest, SecondConnectionResumesTheSession) {
  RecordingUpstream upstream;
  StartTls();
  server_->routes()->Publish({ReadyRoute("resume.test", upstream.port())});
  Install(SelfSigned("resume", {"resume.test"}));
  TlsOptions options = Sni("resume.test");
  options.max_version = GetParam();

  SSL_SESSION* session = nullptr;
  {
    TlsClient first(tls_port(), options);
    ASSERT_TRUE(first.ok()) << first.error();
    ASSERT_TRUE(first.Send(Get("resume.test")));
    ASSERT_THAT(first.ReadResponse(), HasSubstr("200 OK"));  // TLS 1.3's ticket came with it
    EXPECT_FALSE(first.Resumed());
    session = first.Session();
  }
  options.session = session;
  TlsClient second(tls_port(), options);
  SSL_SESSION_free(session);

  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_TRUE(second.Resumed());
  EXPECT_TRUE(Eventually([&] { return metrics().TlsResumed() == 1; }));
  ASSERT_TRUE(second.Send(Get("resume.test")));
  EXPECT_THAT(second.ReadResponse(), HasSubstr("200 OK"));
}

INSTANTIATE_TEST_SUITE_P(Versions, TlsResumptionTest,
                         ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION));

TEST_F(TlsServerTest, SilentClientIsClosedAtTheHandshakeDeadline) {
  ProxyConfig config;
  config.header_timeout = absl::Milliseconds(300);
  StartTls(config);
  Install(SelfSigned("slow", {"slow.test"}));
  Client silent(tls_port());  // plain TCP: connects, never sends a ClientHello

  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.WaitClosed(5000));
  auto took = std::chrono::steady_clock::now() - start;

  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_TRUE(Eventually([&] { return metrics().TlsFailures(TlsFailure::kTimeout) == 1; }));
}

TEST_F(TlsServerTest, RequestIsProxiedWithHttpsForwardingHeaders) {
  RecordingUpstream upstream;
  StartTls();
  server_->routes()->Publish({ReadyRoute("shop.test", upstream.port())});
  Install(SelfSigned("shop", {"shop.test"}));
  TlsClient client(tls_port(), Sni("shop.test"));
  ASSERT_TRUE(client.ok()) << client.error();

  ASSERT_TRUE(client.Send(Get("shop.test", "/cart") + Get("shop.test", "/again")));
  std::string first = client.ReadResponse();
  std::string second = client.ReadResponse();

  EXPECT_THAT(first, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(second, HasSubstr("\r\n\r\nupstream"));
  ASSERT_EQ(upstream.requests().size(), 2u);
  std::string head = upstream.requests()[0].head;
  EXPECT_THAT(head, HasSubstr("GET /cart HTTP/1.1\r\n"));
  EXPECT_EQ(HeaderValue(head, "x-forwarded-proto"), "https");
  EXPECT_THAT(HeaderValue(head, "forwarded"), HasSubstr(";proto=https"));
  EXPECT_EQ(HeaderValue(head, "x-forwarded-for"), "127.0.0.1");
}

TEST_F(TlsServerTest, PlainConnectionsStillSayHttp) {
  RecordingUpstream upstream;
  StartTls();
  server_->routes()->Publish({ReadyRoute("plain.test", upstream.port())});
  Install(SelfSigned("other", {"other.test"}));
  Client client(port());

  client.Send(Get("plain.test"));

  EXPECT_EQ(client.Read().status, 200);
  EXPECT_EQ(HeaderValue(upstream.requests().at(0).head, "x-forwarded-proto"), "http");
}

TEST_F(TlsServerTest, ResponseEndingAtCloseEndsWithCloseNotify) {
  RecordingUpstream upstream([](const RecordingUpstream::Request&) {
    return std::string("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
  });
  upstream.CloseAfterEachResponse();
  StartTls();
  server_->routes()->Publish({ReadyRoute("close.test", upstream.port())});
  Install(SelfSigned("close", {"close.test"}));
  TlsClient client(tls_port(), Sni("close.test"));
  ASSERT_TRUE(client.ok()) << client.error();

  ASSERT_TRUE(client.Send(Get("close.test")));
  bool clean = false;
  std::string response = client.ReadUntilClose(&clean);

  EXPECT_THAT(response, HasSubstr("\r\n\r\nuntil the end"));
  EXPECT_TRUE(clean) << "the proxy closed without close_notify: a truncation looks the same";
}

TEST_F(TlsServerTest, LargeBodiesStreamBothWays) {
  constexpr size_t kBytes = 64 << 20;
  RecordingUpstream upstream([](const RecordingUpstream::Request& request) {
    std::string length = std::to_string(request.body.size());
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kBytes) + "\r\nX-Got: " + length +
           "\r\n\r\n" + std::string(kBytes, 'd');
  });
  StartTls();
  server_->routes()->Publish({ReadyRoute("big.test", upstream.port())});
  Install(SelfSigned("big", {"big.test"}));
  TlsBridge bridge(tls_port(), "big.test");
  Client client(bridge.port());

  std::thread sender([&] {
    client.Send("PUT /up HTTP/1.1\r\nHost: big.test\r\nContent-Length: " + std::to_string(kBytes) +
                "\r\n\r\n" + std::string(kBytes, 'u'));
  });
  Client::Response response = client.Read(60000);
  sender.join();

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(HeaderValue(response.head, "x-got"), std::to_string(kBytes));
  EXPECT_EQ(response.body.size(), kBytes);
  EXPECT_EQ(response.body.find_first_not_of('d'), std::string::npos);
}

// Answers an upgrade with 101, then echoes every byte until the proxy closes.
class EchoAfterUpgrade {
 public:
  EchoAfterUpgrade() {
    listen_fd_ = ListenOnLoopback(&port_);
    thread_ = std::thread([this] {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      std::string head;
      char buffer[4096];
      ssize_t n;
      while (head.find("\r\n\r\n") == std::string::npos &&
             (n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) {
        head.append(buffer, static_cast<size_t>(n));
      }
      std::string switching =
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
      ::send(fd, switching.data(), switching.size(), MSG_NOSIGNAL);
      while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) {
        ::send(fd, buffer, static_cast<size_t>(n), MSG_NOSIGNAL);
      }
      ::close(fd);
    });
  }
  ~EchoAfterUpgrade() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
  }
  uint16_t port() const { return port_; }

 private:
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(TlsServerTest, WebSocketUpgradeTunnelsOverTls) {
  EchoAfterUpgrade upstream;
  StartTls();
  server_->routes()->Publish({ReadyRoute("ws.test", upstream.port())});
  Install(SelfSigned("ws", {"ws.test"}));
  TlsBridge bridge(tls_port(), "ws.test");
  Client client(bridge.port());

  client.Send(
      "GET /socket HTTP/1.1\r\nHost: ws.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
  Client::Response switching = client.Read();
  client.Send("ping over tls");
  std::string echoed;
  char buffer[64];
  while (echoed.size() < 13) {
    ssize_t n = ::recv(client.fd(), buffer, sizeof(buffer), 0);
    if (n <= 0) {
      break;
    }
    echoed.append(buffer, static_cast<size_t>(n));
  }

  EXPECT_EQ(switching.status, 101);
  EXPECT_EQ(echoed, "ping over tls");
}

TEST_F(TlsServerTest, PlainRequestForACoveredHostIsRedirectedToHttps) {
  RecordingUpstream upstream;
  StartTls();
  server_->routes()->Publish(
      {ReadyRoute("secure.test", upstream.port()), ReadyRoute("open.test", upstream.port())});
  Install(SelfSigned("secure", {"secure.test"}));
  Client client(port());

  client.Send(Get("Secure.test:8080", "/a/b?c=d"));
  Client::Response redirect = client.Read();
  client.Send(Get("open.test"));
  Client::Response proxied = client.Read();

  EXPECT_EQ(redirect.status, 308);
  EXPECT_EQ(HeaderValue(redirect.head, "location"),
            "https://secure.test:" + std::to_string(tls_port()) + "/a/b?c=d");
  EXPECT_FALSE(redirect.closed);
  EXPECT_EQ(proxied.status, 200);
  EXPECT_EQ(upstream.requests().size(), 1u);
  EXPECT_EQ(metrics().HttpsRedirects(), 1u);
}

TEST_F(TlsServerTest, RedirectLeavesOutPort443) {
  ProxyConfig config;
  config.tls_listen = TlsListen{"127.0.0.1", 0, 443};  // as when a NAT maps 443 to the listener
  StartTls(config);
  Install(SelfSigned("wild", {"*.preview.test"}));
  Client client(port());

  client.Send(Get("pr-3.preview.test", "/"));
  Client::Response redirect = client.Read();

  EXPECT_EQ(redirect.status, 308);
  EXPECT_EQ(HeaderValue(redirect.head, "location"), "https://pr-3.preview.test/");
}

TEST_F(TlsServerTest, RequestWithABodyIsRedirectedAndClosed) {
  StartTls();
  Install(SelfSigned("secure", {"secure.test"}));
  Client client(port());

  client.Send("POST /form HTTP/1.1\r\nHost: secure.test\r\nContent-Length: 5\r\n\r\n");
  Client::Response redirect = client.Read();

  EXPECT_EQ(redirect.status, 308);
  EXPECT_TRUE(redirect.closed);
}

TEST_F(TlsServerTest, AcmeChallengeIsAnsweredOnThePlainPortForAnyHost) {
  RecordingUpstream upstream;
  ChallengeStore challenges;
  challenges.Put("token-1", "token-1.thumbprint");
  StartTls(ProxyConfig(), &challenges);
  server_->routes()->Publish({ReadyRoute("secure.test", upstream.port())});
  Install(SelfSigned("secure", {"secure.test"}));
  Client client(port());

  client.Send(Get("anything.test", "/.well-known/acme-challenge/token-1"));
  Client::Response answer = client.Read();
  client.Send(Get("secure.test", "/.well-known/acme-challenge/token-1"));
  Client::Response covered = client.Read();
  client.Send(Get("secure.test", "/.well-known/acme-challenge/unknown"));
  Client::Response unknown = client.Read();
  TlsClient tls(tls_port(), Sni("secure.test"));
  ASSERT_TRUE(tls.ok()) << tls.error();
  tls.Send(Get("secure.test", "/.well-known/acme-challenge/token-1"));
  std::string over_tls = tls.ReadResponse();

  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(HeaderValue(answer.head, "content-type"), "text/plain");
  EXPECT_EQ(answer.body, "token-1.thumbprint");
  EXPECT_EQ(covered.status, 200);  // not redirected: a CA validates over plain HTTP
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(over_tls, HasSubstr("\r\n\r\nupstream"));  // the TLS port routes as usual
  EXPECT_EQ(upstream.requests().size(), 1u);
  EXPECT_EQ(metrics().AcmeAnswers(), 2u);
}

TEST_F(TlsServerTest, WithoutAChallengeStoreAcmePathsAreRouted) {
  RecordingUpstream upstream;
  StartTls();
  server_->routes()->Publish({ReadyRoute("app.test", upstream.port())});
  Client client(port());

  client.Send(Get("app.test", "/.well-known/acme-challenge/x"));

  EXPECT_EQ(client.Read().status, 200);
  EXPECT_EQ(upstream.requests().size(), 1u);
}

TEST_F(TlsServerTest, MetricsNameTheTlsCounters) {
  StartTls();
  Install(SelfSigned("m", {"m.test"}));
  TlsClient refused(tls_port(), Sni("nope.test"));
  ASSERT_TRUE(Eventually([&] { return metrics().TlsFailures(TlsFailure::kUnknownName) == 1; }));

  std::string text;
  metrics().Render(&text);

  EXPECT_THAT(text,
              HasSubstr("prevu_proxy_tls_handshake_failures_total{reason=\"unknown_name\"} 1"));
  EXPECT_THAT(text, HasSubstr("prevu_proxy_tls_handshakes_total 0"));
  EXPECT_THAT(text, HasSubstr("prevu_proxy_https_redirects_total 0"));
}

}  // namespace
}  // namespace prevu::proxy::testing

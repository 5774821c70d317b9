// `prevu proxy` with TLS: --tls-listen, --cert and --key on the command line, a certificate file
// that cannot be used, and a whole run serving HTTPS from start to SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "proxy/standalone.h"
#include "tests/proxy/test_http.h"
#include "tests/proxy/tls/tls_test_support.h"

namespace prevu::proxy::testing {
namespace {

using ::testing::HasSubstr;

int RunWith(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  return RunStandaloneProxy(static_cast<int>(argv.size()), argv.data());
}

class StandaloneTlsTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    return dir_.Write(name, content);
  }

  TempDir dir_;
};

TEST_F(StandaloneTlsTest, ParsesTlsOptions) {
  absl::StatusOr<StandaloneOptions> options = ParseStandaloneOptions(
      {"proxy", "--listen", "127.0.0.1:8080", "--tls-listen", "127.0.0.1:8443", "--cert", "a.pem",
       "--key", "a.key", "--cert=b.pem", "--key=b.key", "--route", "a.test=127.0.0.1:3000"});

  ASSERT_TRUE(options.ok()) << options.status();
  ASSERT_TRUE(options->config.tls_listen.has_value());
  EXPECT_EQ(options->config.tls_listen->host, "127.0.0.1");
  EXPECT_EQ(options->config.tls_listen->port, 8443);
  ASSERT_EQ(options->certificates.size(), 2u);
  EXPECT_EQ(options->certificates[0].cert_file, "a.pem");
  EXPECT_EQ(options->certificates[0].key_file, "a.key");
  EXPECT_EQ(options->certificates[1].cert_file, "b.pem");
  EXPECT_EQ(options->certificates[1].key_file, "b.key");
  EXPECT_EQ(options->routes.size(), 1u);
}

TEST_F(StandaloneTlsTest, WithoutTlsOptionsThereIsNoTlsListener) {
  absl::StatusOr<StandaloneOptions> options =
      ParseStandaloneOptions({"--listen", "127.0.0.1:8080"});

  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_FALSE(options->config.tls_listen.has_value());
}

TEST_F(StandaloneTlsTest, TlsUsageErrorsNameTheProblem) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"--listen", "127.0.0.1:80", "--tls-listen", "127.0.0.1:443"}, "--tls-listen needs --cert"},
      {{"--listen", "127.0.0.1:80", "--cert", "a", "--key", "b"}, "--cert needs --tls-listen"},
      {{"--listen", "127.0.0.1:80", "--tls-listen", "127.0.0.1:443", "--cert", "a"},
       "needs its --key"},
      {{"--listen", "127.0.0.1:80", "--tls-listen", "127.0.0.1:443", "--key", "b"},
       "after its --cert"},
      {{"--listen", "127.0.0.1:80", "--tls-listen", "127.0.0.1:443", "--cert", "a", "--cert", "b",
        "--key", "c"},
       "before the next --cert"},
      {{"--listen", "127.0.0.1:80", "--tls-listen", "443"}, "--tls-listen"},
  };

  for (const Case& c : cases) {
    absl::StatusOr<StandaloneOptions> options = ParseStandaloneOptions(c.args);
    ASSERT_FALSE(options.ok()) << c.message;
    EXPECT_THAT(std::string(options.status().message()), HasSubstr(c.message));
  }
}

TEST_F(StandaloneTlsTest, UnusableCertificateFileExitsWithOne) {
  std::string garbage = Write("garbage.pem", "not a certificate");

  int code =
      RunWith({"--listen", "127.0.0.1:" + std::to_string(ClosedPort()), "--tls-listen",
               "127.0.0.1:" + std::to_string(ClosedPort()), "--cert", garbage, "--key", garbage});

  EXPECT_EQ(code, 1);
}

TEST_F(StandaloneTlsTest, ServesHttpsUntilSigtermThenExitsZero) {
  // SIGTERM is blocked here first, so that it reaches only the proxy's sigwait().
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  RecordingUpstream upstream;
  TestCertificate certificate = SelfSigned("standalone", {"shop.localhost"});
  std::string cert_file = Write("cert.pem", certificate.chain_pem);
  std::string key_file = Write("key.pem", certificate.key_pem);
  uint16_t tls_port = ClosedPort();
  std::future<int> exit_code = std::async(std::launch::async, [&] {
    return RunWith({"proxy", "--listen", "127.0.0.1:" + std::to_string(ClosedPort()),
                    "--tls-listen", "127.0.0.1:" + std::to_string(tls_port), "--cert", cert_file,
                    "--key", key_file, "--threads", "1", "--route",
                    "shop.localhost=127.0.0.1:" + std::to_string(upstream.port())});
  });

  // Wait until the proxy listens, then make one request through it.
  TlsOptions options;
  options.server_name = "shop.localhost";
  std::string response;
  std::string peer;
  for (int attempt = 0; attempt < 500 && response.empty(); ++attempt) {
    TlsClient client(tls_port, options);
    if (client.ok() && client.Send("GET / HTTP/1.1\r\nHost: shop.localhost\r\n\r\n")) {
      response = client.ReadResponse();
      peer = client.PeerCommonName();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  kill(getpid(), SIGTERM);

  EXPECT_THAT(response, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_EQ(peer, "standalone");
  EXPECT_EQ(HeaderValue(upstream.requests().at(0).head, "x-forwarded-proto"), "https");
  EXPECT_EQ(exit_code.get(), 0);
}

}  // namespace
}  // namespace prevu::proxy::testing

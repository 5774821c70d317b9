// `prevu proxy`: its command line, and a whole run from start to SIGTERM.
#include "proxy/standalone.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <future>
#include <thread>

#include "tests/proxy/test_http.h"

namespace prevu::proxy {
namespace {

using testing::Client;
using testing::ClosedPort;
using testing::RecordingUpstream;

TEST(StandaloneOptionsTest, ParsesEveryOption) {
  absl::StatusOr<StandaloneOptions> options = ParseStandaloneOptions(
      {"proxy", "--listen", "127.0.0.1:8080", "--threads=3", "--route",
       "Shop.localhost=127.0.0.1:3000", "--route", "api.localhost=[::1]:4000", "--trusted-proxy",
       "10.0.0.0/8", "--log-level", "debug"});

  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->config.listen_host, "127.0.0.1");
  EXPECT_EQ(options->config.listen_port, 8080);
  EXPECT_EQ(options->config.threads, 3);
  ASSERT_EQ(options->routes.size(), 2u);
  EXPECT_EQ(options->routes[0].host, "Shop.localhost");
  EXPECT_EQ(options->routes[0].upstream_port, 3000);
  EXPECT_TRUE(options->routes[0].ready);
  EXPECT_EQ(options->routes[1].upstream_host, "::1");
  EXPECT_EQ(options->config.trusted_peers.size(), 1u);
  EXPECT_EQ(options->log_level, "debug");
}

TEST(StandaloneOptionsTest, UsageErrorsNameTheProblem) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{}, "--listen is required"},
      {{"--listen", "8080"}, "HOST:PORT"},
      {{"--listen", "127.0.0.1:8080", "--threads", "many"}, "--threads"},
      {{"--listen", "127.0.0.1:8080", "--route", "shop.localhost"}, "HOST=ADDR:PORT"},
      {{"--listen", "127.0.0.1:8080", "--route", "a=127.0.0.1:x"}, "not a port"},
      {{"--listen", "127.0.0.1:8080", "--bogus", "1"}, "unknown option"},
      {{"--listen"}, "needs a value"},
      {{"--listen", "127.0.0.1:8080", "--log-level", "loud"}, "--log-level"},
  };

  for (const Case& c : cases) {
    absl::StatusOr<StandaloneOptions> options = ParseStandaloneOptions(c.args);
    ASSERT_FALSE(options.ok()) << c.message;
    EXPECT_NE(options.status().message().find(c.message), absl::string_view::npos)
        << options.status();
  }
}

int RunWith(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  return RunStandaloneProxy(static_cast<int>(argv.size()), argv.data());
}

TEST(StandaloneTest, UsageErrorExitsWithTwo) { EXPECT_EQ(RunWith({"--threads", "1"}), 2); }

TEST(StandaloneTest, ServesRoutesUntilSigtermThenExitsZero) {
  // SIGTERM is blocked here first, so that it reaches only the proxy's sigwait().
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  RecordingUpstream upstream;
  uint16_t port = ClosedPort();
  std::future<int> exit_code = std::async(std::launch::async, [&] {
    return RunWith({"proxy", "--listen", "127.0.0.1:" + std::to_string(port), "--threads", "1",
                    "--route", "shop.localhost=127.0.0.1:" + std::to_string(upstream.port())});
  });

  // Wait until the proxy listens, then make one request through it.
  Client::Response response;
  for (int attempt = 0; attempt < 500 && response.status == 0; ++attempt) {
    Client client(port);
    if (client.fd() >= 0 && client.Send("GET / HTTP/1.1\r\nHost: shop.localhost\r\n\r\n")) {
      response = client.Read();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  kill(getpid(), SIGTERM);

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(exit_code.get(), 0);
}

}  // namespace
}  // namespace prevu::proxy

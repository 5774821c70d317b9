// Tests of the HTTP readiness probe against a small server on a loopback socket of port 0.
#include "reconciler/health_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace prevu::reconciler {
namespace {

using ::testing::HasSubstr;

// Accepts one connection, reads the request head and answers `response` (or nothing when it is
// empty). Records the request.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(listen(fd_, 1), 0);
    socklen_t length = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }

  ~OneShotServer() {
    thread_.join();
    close(fd_);
  }

  uint16_t port() const { return port_; }
  const std::string& request() const { return request_; }

 private:
  void Serve() {
    int client = accept(fd_, nullptr, nullptr);
    char buffer[4096];
    ssize_t got;
    while (request_.find("\r\n\r\n") == std::string::npos &&
           (got = read(client, buffer, sizeof buffer)) > 0) {
      request_.append(buffer, got);
    }
    if (!response_.empty()) {
      EXPECT_EQ(write(client, response_.data(), response_.size()),
                static_cast<ssize_t>(response_.size()));
    }
    close(client);
  }

  std::string response_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::string request_;
  std::thread thread_;
};

TEST(HttpHealthProbeTest, TwoHundredIsHealthyAndPathIsRequested) {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  HttpHealthProbe probe;

  absl::Status status = probe.Probe("127.0.0.1", server.port(), "/healthz", absl::Seconds(5));

  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(server.request(), ::testing::StartsWith("GET /healthz HTTP/1.1\r\n"));
}

TEST(HttpHealthProbeTest, RedirectIsHealthy) {
  OneShotServer server("HTTP/1.1 302 Found\r\nLocation: /login\r\nContent-Length: 0\r\n\r\n");
  HttpHealthProbe probe;

  EXPECT_TRUE(probe.Probe("127.0.0.1", server.port(), "/", absl::Seconds(5)).ok());
}

TEST(HttpHealthProbeTest, ServerErrorIsUnhealthyAndSaysTheStatus) {
  OneShotServer server("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
  HttpHealthProbe probe;

  absl::Status status = probe.Probe("127.0.0.1", server.port(), "/", absl::Seconds(5));

  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("answered 503"));
}

TEST(HttpHealthProbeTest, ConnectionClosedWithoutAnswerIsUnhealthy) {
  OneShotServer server("");
  HttpHealthProbe probe;

  absl::Status status = probe.Probe("127.0.0.1", server.port(), "/", absl::Seconds(5));

  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("no HTTP answer"));
}

TEST(HttpHealthProbeTest, NothingListeningIsUnhealthy) {
  uint16_t port;
  {
    OneShotServer server("HTTP/1.1 200 OK\r\n\r\n");
    port = server.port();
    HttpHealthProbe().Probe("127.0.0.1", port, "/", absl::Seconds(5)).IgnoreError();
  }
  HttpHealthProbe probe;

  absl::Status status = probe.Probe("127.0.0.1", port, "/", absl::Seconds(5));

  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
}

TEST(HttpHealthProbeTest, HostMustBeAnAddress) {
  EXPECT_EQ(HttpHealthProbe().Probe("localhost", 80, "/", absl::Seconds(1)).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace prevu::reconciler

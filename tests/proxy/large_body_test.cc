// A 1 GiB body each way through the proxy, checking that the process's peak resident memory
// grows by far less than the body: bodies stream through fixed buffers, never accumulate.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tests/proxy/proxy_test_support.h"
#include "tests/proxy/test_http.h"

namespace prevu::proxy::testing {
namespace {

constexpr int64_t kBodyBytes = int64_t{1} << 30;
constexpr int64_t kMaxGrowthBytes = int64_t{64} << 20;
constexpr size_t kPiece = 64 * 1024;

// Reads from `fd` until a head ends; returns the head, leaves any body bytes in `*rest`.
std::string ReadHead(int fd, std::string* rest) {
  std::string data;
  char buffer[4096];
  size_t end;
  while ((end = data.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      return "";
    }
    data.append(buffer, n);
  }
  *rest = data.substr(end + 4);
  return data.substr(0, end + 4);
}

// Reads and drops `bytes` bytes from `fd` (after `already` were read); returns how many came.
int64_t Drain(int fd, int64_t bytes, int64_t already) {
  std::string buffer(kPiece, '\0');
  int64_t total = already;
  while (total < bytes) {
    ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) {
      break;
    }
    total += n;
  }
  return total;
}

bool SendRepeated(int fd, int64_t bytes) {
  std::string piece(kPiece, 'p');
  for (int64_t sent = 0; sent < bytes; sent += kPiece) {
    if (::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(kPiece)) {
      return false;
    }
  }
  return true;
}

// One connection's upstream: reads a request, then runs `serve` on the socket.
template <typename Serve>
std::thread OneShotUpstream(int listen_fd, Serve serve) {
  return std::thread([listen_fd, serve] {
    int fd = ::accept(listen_fd, nullptr, nullptr);
    std::string rest;
    std::string head = ReadHead(fd, &rest);
    serve(fd, head, rest);
    ::close(fd);
  });
}

class LargeBodyTest : public ProxyFixture {
 protected:
  void SetUp() override {
    ProxyConfig config;
    config.max_body_bytes = 2 * kBodyBytes;
    StartProxy(config);
    listen_fd_ = ListenOnLoopback(&upstream_port_);
    server_->routes()->Publish({ReadyRoute("big", upstream_port_)});
  }
  void TearDown() override { ::close(listen_fd_); }

  int listen_fd_ = -1;
  uint16_t upstream_port_ = 0;
};

TEST_F(LargeBodyTest, GibibyteUploadStreamsWithBoundedMemory) {
  std::thread upstream = OneShotUpstream(listen_fd_, [](int fd, const std::string& head,
                                                        const std::string& rest) {
    int64_t length = std::stoll(HeaderValue(head, "content-length"));
    std::string count = std::to_string(Drain(fd, length, static_cast<int64_t>(rest.size())));
    std::string response =
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(count.size()) + "\r\n\r\n" + count;
    ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
  });
  int64_t rss_before = PeakRssBytes();
  Client client(port());

  ASSERT_TRUE(client.Send("PUT /upload HTTP/1.1\r\nHost: big\r\nContent-Length: " +
                          std::to_string(kBodyBytes) + "\r\n\r\n"));
  ASSERT_TRUE(SendRepeated(client.fd(), kBodyBytes));
  Client::Response response = client.Read(60000);
  upstream.join();

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, std::to_string(kBodyBytes));
  int64_t growth = PeakRssBytes() - rss_before;
  EXPECT_LT(growth, kMaxGrowthBytes) << "peak RSS grew by " << growth << " bytes";
  std::printf("upload of %lld bytes: peak RSS growth %lld bytes\n",
              static_cast<long long>(kBodyBytes), static_cast<long long>(growth));
}

TEST_F(LargeBodyTest, GibibyteDownloadStreamsWithBoundedMemory) {
  std::thread upstream =
      OneShotUpstream(listen_fd_, [](int fd, const std::string&, const std::string&) {
        std::string head =
            "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kBodyBytes) + "\r\n\r\n";
        ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
        SendRepeated(fd, kBodyBytes);
      });
  int64_t rss_before = PeakRssBytes();
  Client client(port());

  ASSERT_TRUE(client.Send("GET /download HTTP/1.1\r\nHost: big\r\n\r\n"));
  std::string rest;
  std::string head = ReadHead(client.fd(), &rest);
  int64_t received = Drain(client.fd(), kBodyBytes, static_cast<int64_t>(rest.size()));
  upstream.join();

  EXPECT_EQ(head.substr(0, 12), "HTTP/1.1 200");
  EXPECT_EQ(HeaderValue(head, "content-length"), std::to_string(kBodyBytes));
  EXPECT_EQ(received, kBodyBytes);
  int64_t growth = PeakRssBytes() - rss_before;
  EXPECT_LT(growth, kMaxGrowthBytes) << "peak RSS grew by " << growth << " bytes";
  std::printf("download of %lld bytes: peak RSS growth %lld bytes\n",
              static_cast<long long>(kBodyBytes), static_cast<long long>(growth));
}

}  // namespace
}  // namespace prevu::proxy::testing

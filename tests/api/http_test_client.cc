// The test client; see http_test_client.h.
#include "tests/api/http_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace prevu::api::testing {

std::string ClientResponse::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == absl::AsciiStrToLower(name)) {
      return value;
    }
  }
  return "";
}

absl::StatusOr<HttpTestClient> HttpTestClient::Connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  }
  timeval timeout{.tv_sec = 10, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    int error = errno;
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("connect: ", std::strerror(error)));
  }
  return HttpTestClient(fd);
}

HttpTestClient::HttpTestClient(HttpTestClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

HttpTestClient& HttpTestClient::operator=(HttpTestClient&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

HttpTestClient::~HttpTestClient() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

absl::Status HttpTestClient::SendRaw(absl::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status HttpTestClient::Send(absl::string_view method, absl::string_view target,
                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                  absl::string_view body) {
  std::string request = absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  for (const auto& [name, value] : headers) {
    absl::StrAppend(&request, name, ": ", value, "\r\n");
  }
  absl::StrAppend(&request, "Content-Length: ", body.size(), "\r\n\r\n", body);
  return SendRaw(request);
}

absl::Status HttpTestClient::Fill() {
  char chunk[16384];
  ssize_t n;
  do {
    n = ::recv(fd_, chunk, sizeof(chunk), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno)));
  }
  if (n == 0) {
    return absl::UnavailableError("the server closed the connection");
  }
  buffer_.append(chunk, static_cast<size_t>(n));
  return absl::OkStatus();
}

absl::StatusOr<ClientResponse> HttpTestClient::Read() {
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (absl::Status status = Fill(); !status.ok()) {
      return status;
    }
  }
  std::vector<std::string> lines = absl::StrSplit(buffer_.substr(0, end), "\r\n");
  buffer_.erase(0, end + 4);

  ClientResponse response;
  std::vector<std::string> status_line = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &response.status)) {
    return absl::DataLossError(absl::StrCat("bad status line: ", lines[0]));
  }
  size_t length = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::pair<std::string, std::string> field = absl::StrSplit(lines[i], absl::MaxSplits(':', 1));
    field.first = absl::AsciiStrToLower(field.first);
    field.second = std::string(absl::StripAsciiWhitespace(field.second));
    if (field.first == "content-length" && !absl::SimpleAtoi(field.second, &length)) {
      return absl::DataLossError("bad Content-Length");
    }
    response.headers.push_back(std::move(field));
  }

  // Interim 1xx answers carry no body (RFC 9110 section 15.2).
  if (response.status >= 100 && response.status < 200) {
    return response;
  }
  while (buffer_.size() < length) {
    if (absl::Status status = Fill(); !status.ok()) {
      return status;
    }
  }
  response.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return response;
}

absl::StatusOr<ClientResponse> HttpTestClient::Request(
    absl::string_view method, absl::string_view target,
    const std::vector<std::pair<std::string, std::string>>& headers, absl::string_view body) {
  if (absl::Status status = Send(method, target, headers, body); !status.ok()) {
    return status;
  }
  return Read();
}

bool HttpTestClient::PeerClosed() {
  char byte;
  ssize_t n;
  do {
    n = ::recv(fd_, &byte, 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    buffer_.push_back(byte);
  }
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::abort();
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

}  // namespace prevu::api::testing

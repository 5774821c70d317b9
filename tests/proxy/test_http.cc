// Test helpers; see test_http.h.
#include "tests/proxy/test_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>

namespace prevu::proxy::testing {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool ReadMore(int fd, std::string* pending, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) {
    return false;
  }
  char buffer[65536];
  ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
  if (n <= 0) {
    return false;
  }
  pending->append(buffer, static_cast<size_t>(n));
  return true;
}

// Reads a chunked body from `*pending` (reading more as needed); appends the raw framing to
// `raw` and the data to `data`. False when the stream ends early.
bool ReadChunked(int fd, std::string* pending, std::string* raw, std::string* data,
                 int timeout_ms) {
  size_t pos = 0;
  while (true) {
    size_t line_end;
    while ((line_end = pending->find("\r\n", pos)) == std::string::npos) {
      if (!ReadMore(fd, pending, timeout_ms)) {
        return false;
      }
    }
    size_t size = std::strtoull(pending->substr(pos, line_end - pos).c_str(), nullptr, 16);
    size_t data_start = line_end + 2;
    if (size == 0) {
      size_t end;
      while ((end = pending->find("\r\n\r\n", line_end)) == std::string::npos) {
        if (!ReadMore(fd, pending, timeout_ms)) {
          return false;
        }
      }
      raw->append(*pending, 0, end + 4);
      pending->erase(0, end + 4);
      return true;
    }
    while (pending->size() < data_start + size + 2) {
      if (!ReadMore(fd, pending, timeout_ms)) {
        return false;
      }
    }
    data->append(*pending, data_start, size);
    pos = data_start + size + 2;
  }
}

}  // namespace

std::string HeaderValue(const std::string& head, const std::string& name) {
  std::string lower = Lower(head);
  std::string key = "\r\n" + Lower(name) + ":";
  size_t at = lower.find(key);
  if (at == std::string::npos) {
    return "";
  }
  size_t start = at + key.size();
  size_t end = head.find("\r\n", start);
  std::string value = head.substr(start, end - start);
  value.erase(0, value.find_first_not_of(" \t"));
  return value;
}

int ListenOnLoopback(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  ::listen(fd, 128);
  socklen_t size = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  *port = ntohs(address.sin_port);
  return fd;
}

uint16_t ClosedPort() {
  uint16_t port = 0;
  ::close(ListenOnLoopback(&port));
  return port;
}

Client::Client(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

Client::~Client() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool Client::Send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool Client::Fill(int timeout_ms) { return ReadMore(fd_, &pending_, timeout_ms); }

Client::Response Client::Read(int timeout_ms, bool head_request) {
  Response response;
  size_t end;
  while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill(timeout_ms)) {
      return response;
    }
  }
  response.head = pending_.substr(0, end + 4);
  pending_.erase(0, end + 4);
  int status = std::atoi(response.head.substr(9, 3).c_str());

  std::string length = HeaderValue(response.head, "content-length");
  if (head_request) {
    // No body follows the head.
  } else if (Lower(HeaderValue(response.head, "transfer-encoding")) == "chunked") {
    std::string raw;
    if (!ReadChunked(fd_, &pending_, &raw, &response.body, timeout_ms)) {
      return response;
    }
  } else if (!length.empty()) {
    size_t n = std::stoull(length);
    while (pending_.size() < n) {
      if (!Fill(timeout_ms)) {
        return response;
      }
    }
    response.body = pending_.substr(0, n);
    pending_.erase(0, n);
  } else if (status >= 200 && status != 204 && status != 304) {
    while (Fill(timeout_ms)) {
    }
    response.body = pending_;
    pending_.clear();
    response.closed = true;
  }
  response.status = status;
  response.closed = response.closed || Lower(HeaderValue(response.head, "connection")) == "close";
  return response;
}

bool Client::WaitClosed(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  while (poll(&p, 1, timeout_ms) > 0) {
    char buffer[4096];
    ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      return true;
    }
  }
  return false;
}

RecordingUpstream::RecordingUpstream(Handler handler) : handler_(std::move(handler)) {
  if (!handler_) {
    handler_ = [](const Request&) { return Ok("upstream"); };
  }
  listen_fd_ = ListenOnLoopback(&port_);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

RecordingUpstream::~RecordingUpstream() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  accept_thread_.join();
  ::close(listen_fd_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) {
      ::shutdown(fd, SHUT_RDWR);
    }
  }
  for (std::thread& thread : threads_) {
    thread.join();
  }
  for (int fd : open_fds_) {
    ::close(fd);
  }
}

std::vector<RecordingUpstream::Request> RecordingUpstream::requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::string RecordingUpstream::Ok(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

void RecordingUpstream::AcceptLoop() {
  while (!stopping_) {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) {
      return;
    }
    ++connections_;
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.push_back(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void RecordingUpstream::Serve(int fd) {
  std::string pending;
  while (true) {
    size_t end;
    while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadMore(fd, &pending, 60000)) {
        return;  // closed by the destructor, which owns the descriptor
      }
    }
    Request request;
    request.head = pending.substr(0, end + 4);
    pending.erase(0, end + 4);

    std::string length = HeaderValue(request.head, "content-length");
    if (Lower(HeaderValue(request.head, "transfer-encoding")) == "chunked") {
      std::string data;
      ReadChunked(fd, &pending, &request.body, &data, 60000);
    } else if (!length.empty()) {
      size_t n = std::stoull(length);
      while (pending.size() < n && ReadMore(fd, &pending, 60000)) {
      }
      request.body = pending.substr(0, n);
      pending.erase(0, std::min(n, pending.size()));
    }

    std::string response = handler_(request);
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
    }
    if (response.empty()) {
      continue;  // the handler answered on its own, or wants no answer
    }
    if (::send(fd, response.data(), response.size(), MSG_NOSIGNAL) < 0 || close_after_response_) {
      ::shutdown(fd, SHUT_RDWR);
      return;
    }
  }
}

int64_t PeakRssBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return std::stoll(line.substr(6)) * 1024;
    }
  }
  return -1;
}

}  // namespace prevu::proxy::testing

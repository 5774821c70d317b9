// Blocking HTTP/1.1 helpers for the proxy's tests over real loopback sockets: a client that sends
// raw bytes and reads one response, and an upstream that records what reaches it. They parse
// independently of the proxy's own parser, so the proxy is not checked against itself.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace prevu::proxy::testing {

// A connected TCP socket to 127.0.0.1:`port`, closed when destroyed.
class Client {
 public:
  explicit Client(uint16_t port);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends all of `bytes`; false when the connection is gone.
  bool Send(const std::string& bytes);

  struct Response {
    int status = 0;  // 0 when no complete response arrived
    std::string head;
    std::string body;
    bool closed = false;  // the proxy closed the connection after it
  };
  // Reads one response (Content-Length, chunked, or until close) within `timeout_ms`. The
  // response to a HEAD request has no body, whatever its head says.
  Response Read(int timeout_ms = 10000, bool head_request = false);

  // True when the peer closed the connection (read returns 0 or fails) within `timeout_ms`.
  bool WaitClosed(int timeout_ms = 10000);

  int fd() const { return fd_; }

 private:
  bool Fill(int timeout_ms);

  int fd_ = -1;
  std::string pending_;
};

// The value of header `name` (case-insensitive) in a raw head, or "" when absent.
std::string HeaderValue(const std::string& head, const std::string& name);

// An upstream on 127.0.0.1 that records each request (head and raw body) and answers with what
// its handler returns (a complete raw response). One thread per connection.
class RecordingUpstream {
 public:
  struct Request {
    std::string head;
    std::string body;  // raw, as framed on the wire
  };
  using Handler = std::function<std::string(const Request&)>;

  explicit RecordingUpstream(Handler handler = nullptr);
  ~RecordingUpstream();

  uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }
  // Closes each connection after one response, without saying so: as an upstream does whose
  // keep-alive timeout ran out while the proxy held the connection in its pool.
  void CloseAfterEachResponse() { close_after_response_ = true; }
  std::vector<Request> requests();

  // A response of status 200 with `body` and a Content-Length.
  static std::string Ok(const std::string& body);

 private:
  void AcceptLoop();
  void Serve(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> close_after_response_{false};
  std::mutex mu_;
  std::vector<Request> requests_;
  std::vector<int> open_fds_;
  std::vector<std::thread> threads_;
  std::thread accept_thread_;
};

// A listening socket on 127.0.0.1 with a port the kernel chose, written to `*port`.
int ListenOnLoopback(uint16_t* port);

// A port on 127.0.0.1 where nothing listens (bound, then closed).
uint16_t ClosedPort();

// Peak resident memory of this process (VmHWM in /proc/self/status), in bytes.
int64_t PeakRssBytes();

}  // namespace prevu::proxy::testing

// A scripted Docker daemon for unit tests of the client and runtime: it listens on a Unix socket
// in a temporary directory, answers /_ping and /version itself, and hands every other request to
// the test, which writes the raw answer.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "reconciler/docker/docker_client.h"

namespace prevu::reconciler::docker {

inline void WriteAll(int fd, absl::string_view text) {
  while (!text.empty()) {
    ssize_t sent = send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (sent <= 0) {
      return;
    }
    text.remove_prefix(sent);
  }
}

inline std::string Answer(int status, absl::string_view body) {
  return absl::StrCat("HTTP/1.1 ", status, " X\r\nContent-Type: application/json\r\n",
                      "Content-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
}

inline std::string Chunk(absl::string_view data) {
  return absl::StrCat(absl::Hex(data.size()), "\r\n", data, "\r\n");
}

// Accepts connections on a socket of its own, answers /_ping and /version itself and hands
// every other request (head and body) to `handle` with the connection.
class FakeDaemon {
 public:
  using Handler = std::function<void(int fd, const std::string& head, const std::string& body)>;

  FakeDaemon(std::string api_version, Handler handle)
      : api_version_(std::move(api_version)), handle_(std::move(handle)) {
    char pattern[] = "/tmp/prevu-fakedocker-XXXXXX";
    dir_ = mkdtemp(pattern);
    path_ = dir_ + "/docker.sock";
    listener_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path_.copy(address.sun_path, sizeof address.sun_path - 1);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(listen(listener_, 16), 0);
    thread_ = std::thread([this] { Serve(); });
  }

  ~FakeDaemon() {
    shutdown(listener_, SHUT_RDWR);
    thread_.join();
    close(listener_);
    std::filesystem::remove_all(dir_);
  }

  DockerClient::Options Options() const {
    return {.socket_path = path_, .timeout = absl::Seconds(10)};
  }
  std::vector<std::string> targets() const {
    absl::MutexLock lock(&mu_);
    return targets_;
  }

 private:
  void Serve() {
    while (true) {
      int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) {
        return;
      }
      std::string head;
      std::string body;
      ReadRequest(fd, &head, &body);
      {
        absl::MutexLock lock(&mu_);
        targets_.push_back(head.substr(0, head.find(" HTTP/")));
      }
      if (absl::StartsWith(head, "GET /_ping ")) {
        WriteAll(fd, Answer(200, "OK"));
      } else if (absl::StartsWith(head, "GET /version ")) {
        WriteAll(fd, Answer(200, absl::StrCat(R"({"ApiVersion":")", api_version_, R"("})")));
      } else {
        handle_(fd, head, body);
      }
      close(fd);
    }
  }

  static void ReadRequest(int fd, std::string* head, std::string* body) {
    std::string data;
    char buffer[4096];
    size_t end = std::string::npos;
    while (end == std::string::npos) {
      ssize_t got = read(fd, buffer, sizeof buffer);
      if (got <= 0) {
        return;
      }
      data.append(buffer, got);
      end = data.find("\r\n\r\n");
    }
    *head = data.substr(0, end + 4);
    *body = data.substr(end + 4);
    bool chunked = absl::StrContains(*head, "chunked");
    size_t length = 0;
    size_t at = head->find("Content-Length: ");
    if (at != std::string::npos) {
      (void)absl::SimpleAtoi(head->substr(at + 16, head->find("\r\n", at) - at - 16), &length);
    }
    auto complete = [&] {
      return chunked ? *body == "0\r\n\r\n" || absl::EndsWith(*body, "\r\n0\r\n\r\n")
                     : body->size() >= length;
    };
    while (!complete()) {
      ssize_t got = read(fd, buffer, sizeof buffer);
      if (got <= 0) {
        return;
      }
      body->append(buffer, got);
    }
  }

  std::string api_version_;
  Handler handle_;
  std::string dir_;
  std::string path_;
  int listener_ = -1;
  mutable absl::Mutex mu_;
  std::vector<std::string> targets_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace prevu::reconciler::docker

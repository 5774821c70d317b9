// The Docker client around its seam, the Unix socket: a scripted daemon on a socket in a
// temporary directory answers with what a real one would, or misbehaves on purpose.
#include "reconciler/docker/docker_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace prevu::reconciler::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

void WriteAll(int fd, absl::string_view text) {
  while (!text.empty()) {
    ssize_t sent = send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (sent <= 0) {
      return;
    }
    text.remove_prefix(sent);
  }
}

std::string Answer(int status, absl::string_view body) {
  return absl::StrCat("HTTP/1.1 ", status, " X\r\nContent-Type: application/json\r\n",
                      "Content-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
}

std::string Chunk(absl::string_view data) {
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
  std::vector<std::string> targets() const { return targets_; }

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
      targets_.push_back(head.substr(0, head.find(" HTTP/")));
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
  std::vector<std::string> targets_;
  std::thread thread_;
};

TEST(DockerClient, SpeaksTheHighestVersionBothSidesKnow) {
  FakeDaemon daemon("1.45", [](int fd, const std::string&, const std::string&) {
    WriteAll(fd, Answer(200, "[]"));
  });
  DockerClient client(daemon.Options());
  EXPECT_EQ(*client.ApiVersion(), "1.43");
  ASSERT_TRUE(client.ListNetworks({{"label", {"prevu.managed=true"}}}).ok());
  EXPECT_THAT(daemon.targets(),
              ElementsAre("GET /_ping", "GET /version",
                          "GET /v1.43/networks?filters=%7B%22label%22%3A%5B%22prevu.managed%3Dtrue"
                          "%22%5D%7D"));
}

TEST(DockerClient, RefusesADaemonOlderThan141) {
  FakeDaemon daemon("1.40", [](int, const std::string&, const std::string&) {});
  DockerClient client(daemon.Options());
  absl::Status status = client.StartContainer("abc");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("Prevu needs 1.41 or newer"));
}

TEST(DockerClient, DockersMessageReachesTheStatus) {
  FakeDaemon daemon("1.41", [](int fd, const std::string&, const std::string&) {
    WriteAll(
        fd,
        Answer(409, R"({"message":"Conflict. The container name \"/pr-1\" is already in use"})"));
  });
  DockerClient client(daemon.Options());
  absl::StatusOr<std::string> id = client.CreateContainer("pr-1", nlohmann::json::object());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(id.status().message(),
            "create container pr-1: Conflict. The container name \"/pr-1\" is already in use");
}

TEST(DockerClient, ADaemonThatNeverAnswersMeetsTheDeadline) {
  absl::Notification release;
  FakeDaemon daemon(
      "1.41", [&](int, const std::string&, const std::string&) { release.WaitForNotification(); });
  DockerClient::Options options = daemon.Options();
  options.timeout = absl::Milliseconds(300);
  DockerClient client(options);
  absl::StatusOr<nlohmann::json> containers = client.ListContainers({});
  release.Notify();
  EXPECT_EQ(containers.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(DockerClient, NoDaemonIsAnActionableError) {
  DockerClient client({.socket_path = "/nonexistent/docker.sock"});
  absl::Status status = client.RemoveNetwork("n");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(),
              HasSubstr("cannot connect to the Docker daemon at /nonexistent/docker.sock"));
  EXPECT_THAT(status.message(), HasSubstr("[docker] socket"));
}

TEST(DockerClient, RefusesNamesThatWouldEscapeThePath) {
  DockerClient client({.socket_path = "/nonexistent/docker.sock"});
  EXPECT_EQ(client.RemoveContainer("a?force=0").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client.InspectImage("../../version").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The second frame is only sent once the first line has reached the caller: a client that
// waited for the whole answer would never get it and fail on its deadline instead.
TEST(DockerClient, StreamedLogsArriveAsTheyAreSent) {
  absl::Notification first_line;
  FakeDaemon daemon("1.41", [&](int fd, const std::string&, const std::string&) {
    WriteAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    WriteAll(fd, Chunk(std::string("\1\0\0\0\0\0\0\6ready\n", 14)));
    first_line.WaitForNotificationWithTimeout(absl::Seconds(20));
    WriteAll(fd, Chunk(std::string("\2\0\0\0\0\0\0\5oops\n", 13)) + "0\r\n\r\n");
  });
  DockerClient client(daemon.Options());
  std::vector<std::string> lines;
  absl::Status status = client.ContainerLogs("c1", 10, [&](absl::string_view line) {
    lines.emplace_back(line);
    if (!first_line.HasBeenNotified()) {
      first_line.Notify();
    }
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(lines, ElementsAre("ready", "oops"));
}

TEST(DockerClient, BuildSendsTheContextChunkedAndReportsTheErrorDetail) {
  std::string received_head;
  std::string received_body;
  FakeDaemon daemon("1.41", [&](int fd, const std::string& head, const std::string& body) {
    received_head = head;
    received_body = body;
    WriteAll(fd, Answer(200,
                        "{\"stream\":\"Step 1/1 : FROM nothing\\n\"}\r\n"
                        "{\"errorDetail\":{\"message\":\"pull access denied for nothing\"}}\r\n"));
  });
  DockerClient client(daemon.Options());
  CancelToken cancel;
  std::vector<std::string> log;
  absl::StatusOr<std::string> image = client.BuildImage(
      {{"t", "prevu/a:1-b"}},
      [](const auto& write) {
        absl::Status status = write("first piece ");
        return status.ok() ? write("second piece") : status;
      },
      [&](absl::string_view line) { log.emplace_back(line); }, cancel);

  EXPECT_THAT(image.status().message(), HasSubstr("pull access denied for nothing"));
  EXPECT_THAT(received_head, StartsWith("POST /v1.41/build?t=prevu%2Fa%3A1-b HTTP/1.1"));
  EXPECT_THAT(received_head, HasSubstr("Transfer-Encoding: chunked"));
  EXPECT_THAT(received_head, HasSubstr("Content-Type: application/x-tar"));
  EXPECT_EQ(received_body, "c\r\nfirst piece \r\nc\r\nsecond piece\r\n0\r\n\r\n");
  EXPECT_THAT(log, ElementsAre("Step 1/1 : FROM nothing", "ERROR: pull access denied for nothing"));
}

TEST(DockerClient, CancellingClosesTheConnection) {
  absl::Notification release;
  FakeDaemon daemon("1.41", [&](int fd, const std::string&, const std::string&) {
    WriteAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    WriteAll(fd, Chunk("{\"stream\":\"Step 1/2 : RUN sleep 1000\\n\"}\r\n"));
    release.WaitForNotificationWithTimeout(absl::Seconds(20));
  });
  DockerClient client(daemon.Options());
  CancelToken cancel;
  absl::StatusOr<std::string> image = client.BuildImage(
      {}, [](const auto&) { return absl::OkStatus(); }, [&](absl::string_view) { cancel.Cancel(); },
      cancel);
  release.Notify();
  EXPECT_EQ(image.status().code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace prevu::reconciler::docker

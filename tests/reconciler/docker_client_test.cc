// The Docker client around its seam, the Unix socket: a scripted daemon on a socket in a
// temporary directory answers with what a real one would, or misbehaves on purpose.
#include "reconciler/docker/docker_client.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/reconciler/docker_fake_daemon.h"

namespace prevu::reconciler::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

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

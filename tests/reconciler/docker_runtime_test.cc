// The hardened container configuration and the reading of container inspect answers.
#include "reconciler/docker/docker_runtime.h"

#include <atomic>
#include <string>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reconciler/diff.h"
#include "tests/reconciler/docker_fake_daemon.h"

namespace prevu::reconciler::docker {
namespace {

using ::testing::HasSubstr;

ContainerSpec Spec() {
  ContainerSpec spec;
  spec.name = "prevu-github-acme-shop-12";
  spec.image = "prevu/acme/shop:12-0123456789ab";
  spec.network = "prevu-github-acme-shop-12";
  spec.port = 3000;
  spec.env = {{"LOG_LEVEL", "debug"}};
  spec.labels = {{kLabelKey, "github/acme/shop#12"}};
  spec.memory_bytes = 256 << 20;
  spec.cpus = 0.5;
  spec.pids = 128;
  return spec;
}

TEST(HardenedContainerConfig, DropsPrivilegesAndLimitsResources) {
  absl::StatusOr<nlohmann::json> config = HardenedContainerConfig(Spec());
  ASSERT_TRUE(config.ok()) << config.status();
  const nlohmann::json& host = (*config)["HostConfig"];

  EXPECT_EQ(host["CapDrop"], nlohmann::json({"ALL"}));
  EXPECT_EQ(host["SecurityOpt"], nlohmann::json({"no-new-privileges"}));
  EXPECT_EQ(host["Privileged"], false);
  EXPECT_EQ(host["Memory"], 256 << 20);
  EXPECT_EQ(host["NanoCpus"], 500'000'000);
  EXPECT_EQ(host["PidsLimit"], 128);
  EXPECT_EQ(host["RestartPolicy"]["Name"], "no");
  EXPECT_EQ(host["NetworkMode"], "prevu-github-acme-shop-12");
  EXPECT_FALSE(host.contains("Binds"));
  EXPECT_FALSE(host.contains("Mounts"));
  EXPECT_EQ(host["PortBindings"]["3000/tcp"][0]["HostIp"], "127.0.0.1");
  EXPECT_EQ(host["PortBindings"]["3000/tcp"][0]["HostPort"], "");
}

TEST(HardenedContainerConfig, LabelsEnvAndCommand) {
  ContainerSpec spec = Spec();
  spec.command = {"/bin/busybox", "httpd", "-f"};
  absl::StatusOr<nlohmann::json> config = HardenedContainerConfig(spec);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ((*config)["Labels"][kLabelManaged], "true");
  EXPECT_EQ((*config)["Labels"][kLabelKey], "github/acme/shop#12");
  EXPECT_EQ((*config)["Env"], nlohmann::json({"LOG_LEVEL=debug"}));
  EXPECT_EQ((*config)["Cmd"], nlohmann::json({"/bin/busybox", "httpd", "-f"}));
  EXPECT_TRUE((*config)["ExposedPorts"].contains("3000/tcp"));
  EXPECT_FALSE(HardenedContainerConfig(Spec())->contains("Cmd"));
}

TEST(HardenedContainerConfig, RefusesWhatPrevuNeverRuns) {
  for (const char* network : {"", "host", "bridge", "none", "container:abc"}) {
    ContainerSpec spec = Spec();
    spec.network = network;
    EXPECT_THAT(HardenedContainerConfig(spec).status().message(), HasSubstr("own network"))
        << network;
  }
  ContainerSpec unlimited = Spec();
  unlimited.memory_bytes = 0;
  EXPECT_THAT(HardenedContainerConfig(unlimited).status().message(), HasSubstr("limits"));
  ContainerSpec bad_port = Spec();
  bad_port.port = 70000;
  EXPECT_THAT(HardenedContainerConfig(bad_port).status().message(), HasSubstr("run.port"));
  ContainerSpec bad_env = Spec();
  bad_env.env = {{"A=B", "c"}};
  EXPECT_THAT(HardenedContainerConfig(bad_env).status().message(), HasSubstr("run.env"));
}

TEST(LabelDockerfile, AllLabelsInOneStepQuotedAgainstExpansion) {
  absl::StatusOr<std::string> dockerfile = LabelDockerfile(
      "sha256:beef", {{kLabelKey, "github/acme/shop#12"}, {"odd", "a \"b\" $HOME \\ c"}});

  ASSERT_TRUE(dockerfile.ok()) << dockerfile.status();
  EXPECT_EQ(*dockerfile,
            "FROM sha256:beef\n"
            "LABEL \"odd\"=\"a \\\"b\\\" \\$HOME \\\\ c\" \"prevu.key\"=\"github/acme/shop#12\" "
            "\"prevu.managed\"=\"true\"\n");
}

TEST(LabelDockerfile, RefusesAControlCharacter) {
  EXPECT_TRUE(absl::IsInvalidArgument(
      LabelDockerfile("sha256:beef", {{kLabelKey, "a\nRUN rm -rf /"}}).status()));
}

TEST(ContainerFromInspect, ReadsStateLabelsAndThePublishedPort) {
  nlohmann::json inspect = nlohmann::json::parse(R"({
    "Id": "c0ffee", "Name": "/prevu-x", "Image": "sha256:beef",
    "State": {"Running": false, "ExitCode": 137,
              "StartedAt": "2026-12-03T16:00:00.5Z", "FinishedAt": "0001-01-01T00:00:00Z"},
    "Config": {"Labels": {"prevu.managed": "true", "prevu.key": "github/a/b#1",
                          "prevu.spec-hash": "h1"}},
    "HostConfig": {"NetworkMode": "prevu-net"},
    "NetworkSettings": {"Ports": {"8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": "1"},
                                               {"HostIp": "127.0.0.1", "HostPort": "49153"}]}}
  })");
  ActualContainer container = ContainerFromInspect(inspect);
  EXPECT_EQ(container.id, "c0ffee");
  EXPECT_EQ(container.name, "prevu-x");
  EXPECT_EQ(container.image_id, "sha256:beef");
  EXPECT_FALSE(container.running);
  EXPECT_EQ(container.exit_code, 137);
  EXPECT_EQ(container.key, "github/a/b#1");
  EXPECT_EQ(container.spec_hash, "h1");
  EXPECT_EQ(container.network, "prevu-net");
  EXPECT_EQ(container.upstream_host, "127.0.0.1");
  EXPECT_EQ(container.upstream_port, 49153);
  EXPECT_EQ(container.started_at, absl::FromUnixMillis(1796313600500));
  EXPECT_EQ(container.finished_at, absl::InfinitePast());
}

TEST(ContainerFromInspect, ToleratesMissingSections) {
  ActualContainer container = ContainerFromInspect(nlohmann::json::parse(R"({"Id": "x"})"));
  EXPECT_EQ(container.id, "x");
  EXPECT_EQ(container.upstream_port, 0);
  EXPECT_FALSE(container.running);
}

// Inspect asks for the one container only, and a 404 means it is gone.
TEST(DockerRuntimeInspect, AsksForOneContainerAndReportsAGoneOneAsNotFound) {
  FakeDaemon daemon("1.41", [&](int fd, const std::string& head, const std::string&) {
    if (absl::StrContains(head, "/containers/c0ffee/json")) {
      WriteAll(fd, Answer(200, R"({"Id": "c0ffee", "State": {"Running": false, "ExitCode": 2}})"));
    } else {
      WriteAll(fd, Answer(404, R"({"message": "No such container: gone"})"));
    }
  });
  DockerRuntime runtime(daemon.Options());

  absl::StatusOr<ActualContainer> exited = runtime.Inspect("c0ffee");
  absl::StatusOr<ActualContainer> gone = runtime.Inspect("gone");

  ASSERT_TRUE(exited.ok()) << exited.status();
  EXPECT_FALSE(exited->running);
  EXPECT_EQ(exited->exit_code, 2);
  EXPECT_TRUE(absl::IsNotFound(gone.status())) << gone.status();
  EXPECT_THAT(gone.status().message(), HasSubstr("No such container"));
  for (const std::string& target : daemon.targets()) {
    EXPECT_FALSE(absl::StrContains(target, "/containers/json")) << target;  // never a listing
  }
}

// Docker's default address pools hold about thirty networks, one per preview: running out says
// what to do, and is ResourceExhausted so that the loop tries again later.
TEST(DockerRuntimeNetwork, RunningOutOfAddressPoolsSaysWhatToDoAndIsRetried) {
  FakeDaemon daemon("1.41", [&](int fd, const std::string& head, const std::string&) {
    if (absl::StrContains(head, "/networks/create")) {
      WriteAll(fd,
               Answer(403, R"({"message": "could not find an available, non-overlapping )"
                           R"(IPv4 address pool among the defaults to assign to the network"})"));
    } else {
      WriteAll(fd, Answer(200, "[]"));  // no network of that name yet
    }
  });
  DockerRuntime runtime(daemon.Options());

  absl::StatusOr<std::string> network = runtime.EnsureNetwork("prevu-x", {{kLabelKey, "k"}});

  EXPECT_TRUE(absl::IsResourceExhausted(network.status())) << network.status();
  EXPECT_THAT(network.status().message(), HasSubstr("default-address-pools"));
  EXPECT_THAT(network.status().message(), HasSubstr("non-overlapping IPv4 address pool"));
  EXPECT_TRUE(RetryDocker(network.status().code()));
}

// The watch wakes the loop for managed containers and for networks it knows, not for anything
// else on the host, and once more after the stream broke (events may have been missed).
TEST(DockerRuntimeWatch, FiltersEventsAndReconnectsAfterABreak) {
  std::atomic<int> connections{0};
  absl::Notification reconnected;
  absl::Notification release;
  FakeDaemon daemon("1.41", [&](int fd, const std::string& head, const std::string&) {
    if (absl::StrContains(head, "/networks?")) {
      WriteAll(
          fd, Answer(200, R"([{"Id":"n1","Name":"prevu-net","Labels":{"prevu.managed":"true"}}])"));
    } else if (!absl::StrContains(head, "/events?")) {
      WriteAll(fd, Answer(200, "[]"));
    } else if (connections.fetch_add(1) == 0) {
      WriteAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      WriteAll(
          fd,
          Chunk(R"({"Type":"container","Actor":{"ID":"c1","Attributes":{"prevu.managed":"true"}}})"
                "\n"
                R"({"Type":"container","Actor":{"ID":"c2","Attributes":{"name":"not-ours"}}})"
                "\n"
                R"({"Type":"network","Actor":{"ID":"n9","Attributes":{"name":"not-ours"}}})"
                "\n"
                R"({"Type":"network","Actor":{"ID":"n1","Attributes":{"name":"prevu-net"}}})"
                "\n"));
      // Closing without the last chunk breaks the stream.
    } else {
      reconnected.Notify();
      release.WaitForNotificationWithTimeout(absl::Seconds(30));
    }
  });
  DockerRuntime runtime(daemon.Options());
  ASSERT_TRUE(runtime.List().ok());  // learns network n1

  std::atomic<int> wakes{0};
  std::unique_ptr<Subscription> watch = runtime.Watch([&] { wakes.fetch_add(1); });
  ASSERT_TRUE(reconnected.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(wakes.load(), 3);  // c1, n1, and the break
  watch.reset();               // closes the second stream; hangs here if cancellation did not work
  release.Notify();

  std::vector<std::string> targets = daemon.targets();
  EXPECT_TRUE(std::any_of(targets.begin(), targets.end(), [](const std::string& t) {
    return absl::StrContains(t, "%22type%22%3A%5B%22container%22%2C%22network%22%5D");
  }));
}

}  // namespace
}  // namespace prevu::reconciler::docker

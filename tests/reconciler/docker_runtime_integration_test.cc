// The Docker runtime against the real daemon at /var/run/docker.sock: images built FROM scratch
// with the static busybox (no registry is reachable, so nothing is pulled), hardened containers
// reached on their published loopback port, labels, removal, events and cancellation. Every
// object a test makes carries its own prevu.key and is removed in TearDown.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reconciler/docker/docker_runtime.h"
#include "tests/reconciler/busybox_app.h"

namespace prevu::reconciler::docker {
namespace {

using ::testing::HasSubstr;

class DockerRuntimeIntegrationTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/prevu-build-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    context_ = pattern;
    std::filesystem::copy_file("/bin/busybox", context_ + "/busybox");
    std::filesystem::create_directory(context_ + "/www");
    std::ofstream(context_ + "/www/index.html") << "hello from a preview";

    std::string unique = absl::StrCat(getpid(), "-", absl::ToUnixNanos(absl::Now()) % 1000000000);
    key_ = absl::StrCat("test/it-", unique, "#1");
    name_ = absl::StrCat("prevu-it-", unique);
    labels_ = {{kLabelKey, key_}, {kLabelSpecHash, "spec1"}};
  }

  void TearDown() override {
    Filters mine = {{"label", {absl::StrCat(kLabelKey, "=", key_)}}};
    DockerClient& client = runtime_.client();
    if (absl::StatusOr<nlohmann::json> list = client.ListContainers(mine); list.ok()) {
      for (const auto& c : *list) {
        EXPECT_TRUE(runtime_.RemoveContainer(c["Id"]).ok());
      }
    }
    if (absl::StatusOr<nlohmann::json> list = client.ListNetworks(mine); list.ok()) {
      for (const auto& n : *list) {
        EXPECT_TRUE(runtime_.RemoveNetwork(n["Id"]).ok());
      }
    }
    if (absl::StatusOr<nlohmann::json> list = client.ListImages(mine); list.ok()) {
      for (const auto& i : *list) {
        EXPECT_TRUE(runtime_.RemoveImage(i["Id"]).ok());
      }
    }
    std::filesystem::remove_all(context_);
  }

  absl::StatusOr<std::string> BuildWith(const std::string& dockerfile, const LogSink& log = {},
                                        DockerRuntime* runtime = nullptr) {
    std::ofstream(context_ + "/Dockerfile") << dockerfile;
    BuildSpec spec{
        .context_dir = context_, .tag = absl::StrCat("prevu/", name_, ":1-abc"), .labels = labels_};
    return (runtime ? *runtime : runtime_).Build(spec, log, cancel_);
  }

  // Builds `dockerfile` and runs it on the test's network with small limits, through `runtime`
  // (the default instance's runtime_ when null).
  absl::StatusOr<ActualContainer> BuildAndRun(
      const std::string& dockerfile = kBusyboxServeDockerfile, DockerRuntime* runtime = nullptr) {
    if (runtime == nullptr) {
      runtime = &runtime_;
    }
    absl::StatusOr<std::string> image = BuildWith(dockerfile, {}, runtime);
    if (!image.ok()) {
      return image.status();
    }
    absl::StatusOr<std::string> network = runtime->EnsureNetwork(name_, labels_);
    if (!network.ok()) {
      return network.status();
    }
    ContainerSpec spec{.name = name_,
                       .image = *image,
                       .network = name_,
                       .labels = labels_,
                       .memory_bytes = 64 << 20,
                       .cpus = 0.25,
                       .pids = 32};
    return runtime->Run(spec);
  }

  DockerRuntime runtime_{DockerClient::Options{}};
  CancelToken cancel_;
  std::string context_;
  std::string key_;
  std::string name_;
  std::map<std::string, std::string> labels_;
};

TEST_F(DockerRuntimeIntegrationTest, RunsAHardenedContainerReachableOnLoopback) {
  absl::StatusOr<ActualContainer> container = BuildAndRun();
  ASSERT_TRUE(container.ok()) << container.status();
  EXPECT_TRUE(container->running);
  EXPECT_EQ(container->key, key_);
  EXPECT_EQ(container->network, name_);
  ASSERT_GT(container->upstream_port, 0);

  absl::StatusOr<nlohmann::json> inspect = runtime_.client().InspectContainer(container->id.str());
  ASSERT_TRUE(inspect.ok());
  const nlohmann::json& host = (*inspect)["HostConfig"];
  EXPECT_EQ(host["CapDrop"], nlohmann::json({"ALL"}));
  EXPECT_EQ(host["SecurityOpt"], nlohmann::json({"no-new-privileges"}));
  EXPECT_EQ(host["Privileged"], false);
  EXPECT_EQ(host["Memory"], 64 << 20);
  EXPECT_EQ(host["NanoCpus"], 250'000'000);
  EXPECT_EQ(host["PidsLimit"], 32);
  EXPECT_TRUE(host["Binds"].is_null() || host["Binds"].empty());
  EXPECT_TRUE((*inspect)["Mounts"].empty());
  EXPECT_EQ((*inspect)["Config"]["Labels"][kLabelManaged], "true");

  // httpd needs a moment to listen; the test waits for it rather than timing it.
  std::string answer;
  for (int attempt = 0; attempt < 100 && answer.empty(); ++attempt) {
    answer = HttpGetIndex(container->upstream_port);
    if (answer.empty()) {
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  EXPECT_THAT(answer, HasSubstr("200 OK"));
  EXPECT_THAT(answer, HasSubstr("hello from a preview"));
}

TEST_F(DockerRuntimeIntegrationTest, ListShowsTheLabelledObjectsAndRemoveRemovesThem) {
  absl::StatusOr<ActualContainer> container = BuildAndRun();
  ASSERT_TRUE(container.ok()) << container.status();
  absl::StatusOr<ActualState> state = runtime_.List();
  ASSERT_TRUE(state.ok()) << state.status();

  auto mine = [&](const auto& objects) {
    return std::count_if(objects.begin(), objects.end(),
                         [&](const auto& o) { return o.key == key_; });
  };
  EXPECT_EQ(mine(state->containers), 1);
  EXPECT_EQ(mine(state->networks), 1);
  ASSERT_EQ(mine(state->images), 1);
  auto image = std::find_if(state->images.begin(), state->images.end(),
                            [&](const ActualImage& i) { return i.key == key_; });
  EXPECT_EQ(image->spec_hash, "spec1");
  EXPECT_THAT(image->tags, testing::ElementsAre(absl::StrCat("prevu/", name_, ":1-abc")));

  std::string network_id = *runtime_.EnsureNetwork(name_, labels_);
  for (int twice = 0; twice < 2; ++twice) {
    EXPECT_TRUE(runtime_.RemoveContainer(container->id.str()).ok());
    EXPECT_TRUE(runtime_.RemoveNetwork(network_id).ok());
    EXPECT_TRUE(runtime_.RemoveImage(image->id.str()).ok());
  }
  state = runtime_.List();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(mine(state->containers) + mine(state->networks) + mine(state->images), 0);
}

// Two Prevus on one daemon, or a test run beside a real one: a named instance sees only its own
// objects, the default instance never sees them, and the same key makes different names.
TEST_F(DockerRuntimeIntegrationTest, AnInstanceSeesOnlyItsOwnObjects) {
  std::string instance = absl::StrCat("it-", getpid());
  DockerClient::Options options;
  options.instance = instance;
  DockerRuntime other(options);

  absl::StatusOr<ActualContainer> theirs = BuildAndRun(kBusyboxServeDockerfile, &other);
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  absl::StatusOr<ActualContainer> ours = BuildAndRun();
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_EQ(theirs->key, ours->key);
  EXPECT_EQ(theirs->network, absl::StrCat("prevu-", instance, name_.substr(5)));
  EXPECT_EQ(ours->network, name_);
  EXPECT_EQ(theirs->name, absl::StrCat("prevu-", instance, name_.substr(5)));

  absl::StatusOr<nlohmann::json> inspect = other.client().InspectContainer(theirs->id.str());
  ASSERT_TRUE(inspect.ok());
  EXPECT_EQ((*inspect)["Config"]["Labels"][kLabelInstance], instance);

  // Each listing holds its own container, network and image of the key, and nothing else's.
  for (auto [runtime, container] : {std::pair{&runtime_, &*ours}, std::pair{&other, &*theirs}}) {
    absl::StatusOr<ActualState> state = runtime->List();
    ASSERT_TRUE(state.ok()) << state.status();
    std::vector<std::string> ids, networks, tags;
    for (const ActualContainer& c : state->containers) {
      if (c.key == key_) {
        ids.push_back(c.id.str());
        networks.push_back(c.network);
      }
    }
    for (const ActualImage& image : state->images) {
      if (image.key == key_) {
        tags.insert(tags.end(), image.tags.begin(), image.tags.end());
      }
    }
    EXPECT_THAT(ids, testing::ElementsAre(container->id));
    EXPECT_THAT(networks, testing::ElementsAre(container->network));
    EXPECT_THAT(tags, testing::ElementsAre(
                          runtime == &other ? absl::StrCat("prevu/", instance, "/", name_, ":1-abc")
                                            : absl::StrCat("prevu/", name_, ":1-abc")));
  }
}

TEST_F(DockerRuntimeIntegrationTest, AFailingDockerfileGivesDockersMessage) {
  std::string log;
  absl::StatusOr<std::string> image =
      BuildWith("FROM scratch\nCOPY no-such-file /x\n",
                [&](absl::string_view line) { absl::StrAppend(&log, line, "\n"); });
  EXPECT_EQ(image.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(image.status().message(), HasSubstr("no-such-file"));
  EXPECT_THAT(log, HasSubstr(": COPY no-such-file /x\nERROR: COPY failed"));
}

TEST_F(DockerRuntimeIntegrationTest, EventsArriveWhenAManagedContainerIsKilled) {
  absl::StatusOr<ActualContainer> container = BuildAndRun();
  ASSERT_TRUE(container.ok()) << container.status();

  std::atomic<int> events{0};
  absl::Notification woken;
  std::unique_ptr<Subscription> watch = runtime_.Watch([&] {
    if (events.fetch_add(1) == 0) {
      woken.Notify();
    }
  });
  DockerRequest kill{.method = Method::kPost,
                     .path = absl::StrCat("/containers/", container->id.str(), "/kill")};
  absl::StatusOr<DockerResponse> killed = runtime_.client().Send(kill);
  ASSERT_TRUE(killed.ok());
  ASSERT_EQ(killed->status, 204);

  EXPECT_TRUE(woken.WaitForNotificationWithTimeout(absl::Seconds(30)));
  absl::StatusOr<nlohmann::json> inspect = runtime_.client().InspectContainer(container->id.str());
  ASSERT_TRUE(inspect.ok());
  EXPECT_EQ(ContainerFromInspect(*inspect).running, false);

  // Network events carry no labels; the runtime knows the network from EnsureNetwork.
  ASSERT_TRUE(runtime_.RemoveContainer(container->id.str()).ok());
  absl::SleepFor(absl::Seconds(1));  // let the container's own events pass
  int before = events.load();
  ASSERT_TRUE(runtime_.RemoveNetwork(name_).ok());
  for (int attempt = 0; attempt < 300 && events.load() == before; ++attempt) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_GT(events.load(), before);
  watch.reset();  // stops the watch thread; the test would hang here if it did not
}

TEST_F(DockerRuntimeIntegrationTest, LogsAndExitCodeOfAContainerThatEnds) {
  absl::StatusOr<ActualContainer> container = BuildAndRun(
      "FROM scratch\nCOPY busybox /bin/busybox\n"
      "CMD [\"/bin/busybox\", \"sh\", \"-c\", \"echo hello; echo oops >&2; exit 3\"]\n");
  ASSERT_TRUE(container.ok()) << container.status();

  absl::StatusOr<int64_t> exit_code =
      runtime_.client().WaitContainer(container->id.str(), absl::Seconds(60));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 3);
  absl::StatusOr<std::string> logs = runtime_.Logs(container->id.str(), 10);
  ASSERT_TRUE(logs.ok()) << logs.status();
  // stdout and stderr are separate pipes, so their relative order is not fixed.
  EXPECT_THAT(std::vector<std::string>(absl::StrSplit(*logs, '\n')),
              testing::UnorderedElementsAre("hello", "oops"));

  absl::StatusOr<ActualState> state = runtime_.List();
  ASSERT_TRUE(state.ok());
  auto it = std::find_if(state->containers.begin(), state->containers.end(),
                         [&](const ActualContainer& c) { return c.id == container->id; });
  ASSERT_NE(it, state->containers.end());
  EXPECT_FALSE(it->running);
  EXPECT_EQ(it->exit_code, 3);
  // Docker stamps the two times from different components; only their presence is certain.
  EXPECT_NE(it->started_at, absl::InfinitePast());
  EXPECT_NE(it->finished_at, absl::InfinitePast());
}

TEST_F(DockerRuntimeIntegrationTest, StopStartAndConnectToASecondNetwork) {
  absl::StatusOr<ActualContainer> container = BuildAndRun();
  ASSERT_TRUE(container.ok()) << container.status();
  DockerClient& client = runtime_.client();

  ASSERT_TRUE(client.StopContainer(container->id.str(), absl::Seconds(1)).ok());
  EXPECT_FALSE(ContainerFromInspect(*client.InspectContainer(container->id.str())).running);
  ASSERT_TRUE(client.StartContainer(container->id.str()).ok());
  ASSERT_TRUE(
      client.StartContainer(container->id.str()).ok());  // already running: 304, not an error
  EXPECT_TRUE(ContainerFromInspect(*client.InspectContainer(container->id.str())).running);

  std::string second = name_ + "-second";
  ASSERT_TRUE(runtime_.EnsureNetwork(second, labels_).ok());
  ASSERT_TRUE(client.ConnectNetwork(second, container->id.str()).ok());
  absl::StatusOr<nlohmann::json> inspect = client.InspectContainer(container->id.str());
  ASSERT_TRUE(inspect.ok());
  EXPECT_TRUE((*inspect)["NetworkSettings"]["Networks"].contains(second));
  EXPECT_TRUE((*inspect)["NetworkSettings"]["Networks"].contains(name_));
}

TEST_F(DockerRuntimeIntegrationTest, PruneByLabelRemovesThisPreviewsImages) {
  absl::StatusOr<std::string> image = BuildWith(kBusyboxServeDockerfile);
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_TRUE(
      runtime_.client()
          .PruneImages({{"label", {absl::StrCat(kLabelKey, "=", key_)}}, {"dangling", {"false"}}})
          .ok());
  EXPECT_TRUE(absl::IsNotFound(runtime_.client().InspectImage(*image).status()));
}

TEST_F(DockerRuntimeIntegrationTest, ANetworkPrevuDidNotMakeIsNotAdopted) {
  ASSERT_TRUE(runtime_.client().CreateNetwork(name_, {{kLabelKey, key_}}).ok());
  absl::StatusOr<std::string> network = runtime_.EnsureNetwork(name_, labels_);
  EXPECT_EQ(network.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(network.status().message(), HasSubstr("was not made by Prevu"));
  EXPECT_TRUE(runtime_.client().RemoveNetwork(name_).ok());
}

TEST_F(DockerRuntimeIntegrationTest, CancellingABuildStopsIt) {
  // A step that would run for 317 seconds; the build is cancelled as soon as it starts.
  std::string dockerfile =
      "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sleep\", \"317\"]\n";
  absl::StatusOr<std::string> image = BuildWith(dockerfile, [&](absl::string_view line) {
    if (absl::StrContains(line, "Running in")) {
      cancel_.Cancel();
    }
  });
  EXPECT_EQ(image.status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(absl::IsNotFound(
      runtime_.client().InspectImage(absl::StrCat("prevu/", name_, ":1-abc")).status()));

  // Docker removes the build's container once it notices the client has gone.
  bool still_running = true;
  for (int attempt = 0; attempt < 300 && still_running; ++attempt) {
    absl::StatusOr<nlohmann::json> all = runtime_.client().ListContainers({});
    ASSERT_TRUE(all.ok());
    still_running = absl::StrContains(all->dump(), "sleep 317");
    if (still_running) {
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  EXPECT_FALSE(still_running);
}

}  // namespace
}  // namespace prevu::reconciler::docker

// See docker_runtime.h.
#include "reconciler/docker/docker_runtime.h"

#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "controller/base/log.h"
#include "reconciler/build/build_context.h"

namespace prevu::reconciler::docker {
namespace {

// Text log fields are passed as absl::AlphaNum, which takes log::Line::With's template path:
// its string_view overload is declared in log.h but not yet defined in log.cc.

constexpr absl::Duration kEventWindow = absl::Seconds(30);
constexpr absl::Duration kMinBackoff = absl::Milliseconds(200);
constexpr absl::Duration kMaxBackoff = absl::Seconds(10);

std::map<std::string, std::string> ManagedLabels(std::map<std::string, std::string> labels) {
  labels[kLabelManaged] = "true";
  return labels;
}

std::string Label(const nlohmann::json& labels, const char* name) {
  if (!labels.is_object()) {
    return "";
  }
  auto it = labels.find(name);
  return it != labels.end() && it->is_string() ? it->get<std::string>() : "";
}

// The object `name` of `parent`, or an empty object.
const nlohmann::json& Section(const nlohmann::json& parent, const char* name) {
  static const nlohmann::json* const kEmpty = new nlohmann::json(nlohmann::json::object());
  if (!parent.is_object()) {
    return *kEmpty;
  }
  auto it = parent.find(name);
  return it != parent.end() && it->is_object() ? *it : *kEmpty;
}

absl::Time ParseDockerTime(const nlohmann::json& value) {
  absl::Time time;
  std::string error;
  if (!value.is_string() ||
      !absl::ParseTime(absl::RFC3339_full, value.get<std::string>(), &time, &error)) {
    return absl::InfinitePast();
  }
  // Docker writes 0001-01-01T00:00:00Z for "never".
  return time < absl::UnixEpoch() ? absl::InfinitePast() : time;
}

// The first port published on 127.0.0.1 (Prevu publishes exactly one).
uint16_t PublishedPort(const nlohmann::json& ports) {
  if (!ports.is_object()) {
    return 0;
  }
  for (const auto& [port, bindings] : ports.items()) {
    if (!bindings.is_array()) {
      continue;
    }
    for (const auto& binding : bindings) {
      int host_port = 0;
      if (binding.value("HostIp", "") == "127.0.0.1" &&
          absl::SimpleAtoi(binding.value("HostPort", ""), &host_port) && host_port > 0 &&
          host_port < 65536) {
        return static_cast<uint16_t>(host_port);
      }
    }
  }
  return 0;
}

// An image from the image listing; untagged images show the tag "<none>:<none>".
ActualImage ImageFromSummary(const nlohmann::json& image) {
  ActualImage actual;
  actual.id = image.value("Id", "");
  for (const auto& tag : image.value("RepoTags", nlohmann::json::array())) {
    if (tag.is_string() && tag.get<std::string>() != "<none>:<none>") {
      actual.tags.push_back(tag.get<std::string>());
    }
  }
  nlohmann::json labels = image.value("Labels", nlohmann::json());
  actual.key = Label(labels, kLabelKey);
  actual.spec_hash = Label(labels, kLabelSpecHash);
  return actual;
}

// Each preview has a network of its own, and Docker's default address pools hold about thirty
// networks: the thirty-first preview would fail with a message that does not say why or what to
// do. ResourceExhausted is retried by the loop, since closed previews give their pools back.
absl::Status OutOfAddressPools(const absl::Status& docker) {
  return absl::ResourceExhaustedError(absl::StrCat(
      "Docker has no address pool left for another network (each preview has one, and Docker's "
      "default pools hold about 30): give dockerd smaller pools with \"default-address-pools\" in "
      "/etc/docker/daemon.json (see README, Operations) or close previews; Docker said: ",
      docker.message()));
}

// Removal of something already gone, or already being removed, is what the caller wanted.
absl::Status GoneIsFine(absl::Status status) {
  if (absl::IsNotFound(status)) {
    return absl::OkStatus();
  }
  if (absl::IsAlreadyExists(status) && absl::StrContains(status.message(), "already in progress")) {
    return absl::OkStatus();
  }
  return status;
}

// Docker's answers are read with nlohmann::json, which throws on a field of an unexpected type;
// that becomes an error here, so that no exception leaves the runtime.
template <typename F>
auto Guarded(absl::string_view what, F&& read) -> decltype(read()) {
  try {
    return read();
  } catch (const nlohmann::json::exception& e) {
    return absl::InternalError(
        absl::StrCat(what, ": unexpected answer from the Docker daemon: ", e.what()));
  }
}

// The classic builder fails in one of these ways when an image removal (another preview's
// clean-up) pruned a cached layer it had just picked; the same build then succeeds without that
// cache entry.
bool CachedLayerVanished(absl::string_view message) {
  return absl::StrContains(message, "failed to get digest") ||
         absl::StrContains(message, "unknown parent image ID");
}

absl::Status CheckSpec(const ContainerSpec& spec) {
  if (spec.name.empty() || spec.image.empty()) {
    return absl::InvalidArgumentError("a preview container needs a name and an image");
  }
  if (spec.network.empty() || spec.network == "host" || spec.network == "none" ||
      spec.network == "bridge" || absl::StartsWith(spec.network, "container:")) {
    return absl::InvalidArgumentError(absl::StrCat("preview container ", spec.name,
                                                   " must run on its own network, not \"",
                                                   spec.network, "\""));
  }
  if (spec.port < 1 || spec.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("run.port must be between 1 and 65535, not ", spec.port));
  }
  if (spec.memory_bytes <= 0 || spec.cpus <= 0 || spec.pids <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "preview container ", spec.name, " needs memory, CPU and process limits above zero"));
  }
  for (const auto& [key, value] : spec.env) {
    if (key.empty() || absl::StrContains(key, '=')) {
      return absl::InvalidArgumentError(
          absl::StrCat("run.env: \"", key, "\" is not a valid environment variable name"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<nlohmann::json> HardenedContainerConfig(const ContainerSpec& spec) {
  absl::Status valid = CheckSpec(spec);
  if (!valid.ok()) {
    return valid;
  }

  std::string port = absl::StrCat(spec.port, "/tcp");
  std::vector<std::string> env;
  for (const auto& [key, value] : spec.env) {
    env.push_back(absl::StrCat(key, "=", value));
  }
  nlohmann::json host = {
      {"NetworkMode", spec.network},
      // HostPort "" lets Docker choose a free port; only loopback can reach it.
      {"PortBindings", {{port, {{{"HostIp", "127.0.0.1"}, {"HostPort", ""}}}}}},
      {"CapDrop", {"ALL"}},
      {"SecurityOpt", {"no-new-privileges"}},
      {"Privileged", false},
      {"ReadonlyRootfs", false},
      {"Memory", spec.memory_bytes},
      {"MemorySwap", spec.memory_bytes},  // equal to Memory: no swap on top
      {"NanoCpus", static_cast<int64_t>(spec.cpus * 1e9)},
      {"PidsLimit", spec.pids},
      // The loop decides about restarts, with back-off, so Docker must not.
      {"RestartPolicy", {{"Name", "no"}}},
      // A chatty preview must not fill the host's disk.
      {"LogConfig", {{"Type", "json-file"}, {"Config", {{"max-size", "10m"}, {"max-file", "2"}}}}},
  };
  nlohmann::json config = {
      {"Image", spec.image},
      {"Env", env},
      {"Labels", ManagedLabels(spec.labels)},
      {"ExposedPorts", {{port, nlohmann::json::object()}}},
      {"Tty", false},
      {"HostConfig", host},
      {"NetworkingConfig", {{"EndpointsConfig", {{spec.network, nlohmann::json::object()}}}}},
  };
  if (!spec.command.empty()) {
    config["Cmd"] = spec.command;
  }
  return config;
}

absl::StatusOr<std::string> LabelDockerfile(const std::string& image,
                                            const std::map<std::string, std::string>& labels) {
  // In double quotes a backslash escapes `"`, `\` and `$` (which would expand a variable).
  auto quoted = [](absl::string_view text) -> absl::StatusOr<std::string> {
    std::string out = "\"";
    for (char c : text) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return absl::InvalidArgumentError(
            absl::StrCat("the image label \"", text, "\" holds a control character"));
      }
      if (c == '"' || c == '\\' || c == '$') {
        out.push_back('\\');
      }
      out.push_back(c);
    }
    out.push_back('"');
    return out;
  };

  std::string dockerfile = absl::StrCat("FROM ", image, "\nLABEL");
  for (const auto& [key, value] : ManagedLabels(labels)) {
    absl::StatusOr<std::string> k = quoted(key);
    absl::StatusOr<std::string> v = quoted(value);
    if (!k.ok() || !v.ok()) {
      return k.ok() ? v.status() : k.status();
    }
    absl::StrAppend(&dockerfile, " ", *k, "=", *v);
  }
  absl::StrAppend(&dockerfile, "\n");
  return dockerfile;
}

ActualContainer ContainerFromInspect(const nlohmann::json& inspect) {
  const nlohmann::json& state = Section(inspect, "State");
  const nlohmann::json& config = Section(inspect, "Config");
  const nlohmann::json& host = Section(inspect, "HostConfig");
  const nlohmann::json& network = Section(inspect, "NetworkSettings");
  nlohmann::json labels = config.value("Labels", nlohmann::json::object());

  ActualContainer container;
  container.id = inspect.value("Id", "");
  container.name = std::string(absl::StripPrefix(inspect.value("Name", ""), "/"));
  container.key = Label(labels, kLabelKey);
  container.spec_hash = Label(labels, kLabelSpecHash);
  container.image_id = inspect.value("Image", "");
  container.running = state.value("Running", false);
  container.exit_code = state.value("ExitCode", 0);
  container.started_at = ParseDockerTime(state.value("StartedAt", nlohmann::json()));
  container.finished_at = ParseDockerTime(state.value("FinishedAt", nlohmann::json()));
  container.network = host.value("NetworkMode", "");
  container.upstream_host = "127.0.0.1";
  container.upstream_port = PublishedPort(network.value("Ports", nlohmann::json()));
  return container;
}

DockerRuntime::DockerRuntime(DockerClient::Options options) : client_(std::move(options)) {}

bool DockerRuntime::IsMine(const nlohmann::json& labels) const {
  return Label(labels, kLabelManaged) == "true" &&
         Label(labels, kLabelInstance) == client_.options().instance;
}

std::map<std::string, std::string> DockerRuntime::OwnLabels(
    std::map<std::string, std::string> labels) const {
  labels = ManagedLabels(std::move(labels));
  if (!client_.options().instance.empty()) {
    labels[kLabelInstance] = client_.options().instance;
  }
  return labels;
}

// "prevu-<rest>" becomes "prevu-<instance>-<rest>" and the image repository "prevu/<rest>"
// becomes "prevu/<instance>/<rest>"; the default instance keeps every name as it is.
std::string DockerRuntime::Scoped(const std::string& name) const {
  const std::string& instance = client_.options().instance;
  if (instance.empty()) {
    return name;
  }
  for (absl::string_view prefix : {"prevu-", "prevu/"}) {
    if (absl::StartsWith(name, prefix)) {
      return absl::StrCat(prefix, instance, prefix.substr(5), name.substr(prefix.size()));
    }
  }
  return absl::StrCat(instance, "-", name);
}

// Docker combines label filters with "and". The default instance cannot ask for "no
// prevu.instance label", so IsMine() sorts its listings.
Filters DockerRuntime::OwnFilter() const {
  std::vector<std::string> labels = {absl::StrCat(kLabelManaged, "=true")};
  if (!client_.options().instance.empty()) {
    labels.push_back(absl::StrCat(kLabelInstance, "=", client_.options().instance));
  }
  return {{"label", labels}};
}

absl::StatusOr<ActualState> DockerRuntime::List() {
  return Guarded("list Docker objects", [&] { return ListManaged(); });
}

absl::StatusOr<ActualState> DockerRuntime::ListManaged() {
  ActualState state;
  absl::StatusOr<nlohmann::json> containers = client_.ListContainers(OwnFilter());
  if (!containers.ok()) {
    return containers.status();
  }
  // The listing lacks exit codes and start times, so each container is inspected. One that
  // disappears in between is gone, which is what a later listing would say too.
  for (const auto& summary : *containers) {
    if (!IsMine(summary.value("Labels", nlohmann::json()))) {
      continue;
    }
    absl::StatusOr<nlohmann::json> inspect = client_.InspectContainer(summary.value("Id", ""));
    if (absl::IsNotFound(inspect.status())) {
      continue;
    }
    if (!inspect.ok()) {
      return inspect.status();
    }
    state.containers.push_back(ContainerFromInspect(*inspect));
  }

  absl::StatusOr<nlohmann::json> networks = client_.ListNetworks(OwnFilter());
  if (!networks.ok()) {
    return networks.status();
  }
  for (const auto& network : *networks) {
    if (!IsMine(network.value("Labels", nlohmann::json()))) {
      continue;
    }
    ActualNetwork actual{network.value("Id", ""), network.value("Name", ""),
                         Label(network.value("Labels", nlohmann::json()), kLabelKey)};
    RememberNetwork(actual.id, actual.name);
    state.networks.push_back(std::move(actual));
  }

  absl::StatusOr<nlohmann::json> images = client_.ListImages(OwnFilter());
  if (!images.ok()) {
    return images.status();
  }
  for (const auto& image : *images) {
    if (!IsMine(image.value("Labels", nlohmann::json()))) {
      continue;
    }
    state.images.push_back(ImageFromSummary(image));
  }
  return state;
}

absl::StatusOr<std::string> DockerRuntime::Build(const BuildSpec& spec, const LogSink& log,
                                                 const CancelToken& cancel) {
  if (spec.tag.empty()) {
    return absl::InvalidArgumentError("a build needs an image tag");
  }
  absl::StatusOr<build::BuildContext> context =
      build::BuildContext::Open(spec.context_dir, spec.dockerfile);
  if (!context.ok()) {
    return context.status();
  }

  // Without labels or a tag: AddLabels gives both in one step afterwards. version=1 is the
  // classic builder: it streams JSON lines and stops when the client leaves.
  nlohmann::json args(spec.args);
  std::map<std::string, std::string> query = {{"dockerfile", context->dockerfile()},
                                              {"buildargs", args.dump()},
                                              {"rm", "1"},
                                              {"forcerm", "1"},
                                              {"version", "1"}};
  if (!spec.target.empty()) {
    query["target"] = spec.target;
  }

  absl::Time start = absl::Now();
  auto build = [&] {
    return client_.BuildImage(
        query, [&](const auto& write) { return context->Write(write); }, log, cancel);
  };
  absl::StatusOr<std::string> image = build();
  if (!image.ok() && CachedLayerVanished(image.status().message()) && !cancel.cancelled()) {
    if (log) {
      log("(a cached layer vanished during the build; building once more)");
    }
    image = build();
  }
  if (image.ok() && !cancel.cancelled()) {
    absl::StatusOr<std::string> labelled = AddLabels(*image, spec, cancel);
    // The unlabelled image has no tag: identical contexts of other previews share it, and their
    // image removal can delete it as a dangling parent before the label step reads it (whose
    // FROM then sends Docker to a registry). Building again makes it anew.
    if (absl::IsFailedPrecondition(labelled.status()) && !cancel.cancelled()) {
      if (log) {
        log("(the built image vanished before it was labelled; building once more)");
      }
      image = build();
      labelled = image.ok() && !cancel.cancelled() ? AddLabels(*image, spec, cancel) : image;
    }
    image = std::move(labelled);
  }
  if (cancel.cancelled()) {
    return absl::CancelledError(absl::StrCat("the build of ", spec.tag, " was cancelled"));
  }
  log::Info("image built")
      .With("tag", absl::AlphaNum(spec.tag))
      .With("ok", image.ok())
      .With("took_ms", absl::ToInt64Milliseconds(absl::Now() - start));
  return image;
}

absl::StatusOr<std::string> DockerRuntime::AddLabels(const std::string& image,
                                                     const BuildSpec& spec,
                                                     const CancelToken& cancel) {
  absl::StatusOr<std::string> dockerfile = LabelDockerfile(image, OwnLabels(spec.labels));
  if (!dockerfile.ok()) {
    return dockerfile.status();
  }
  absl::StatusOr<std::string> tar = build::SingleFileTar("Dockerfile", *dockerfile);
  if (!tar.ok()) {
    return tar.status();
  }
  std::map<std::string, std::string> query = {{"t", Scoped(spec.tag)},
                                              {"dockerfile", "Dockerfile"},
                                              {"rm", "1"},
                                              {"forcerm", "1"},
                                              {"version", "1"}};
  return client_.BuildImage(
      query, [&](const auto& write) { return write(*tar); }, LogSink(), cancel);
}

absl::StatusOr<std::string> DockerRuntime::EnsureNetwork(
    const std::string& name, const std::map<std::string, std::string>& labels) {
  return Guarded(absl::StrCat("ensure network ", name),
                 [&] { return FindOrCreateNetwork(Scoped(name), labels); });
}

absl::StatusOr<std::string> DockerRuntime::FindOrCreateNetwork(
    const std::string& name, const std::map<std::string, std::string>& labels) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    // The name filter matches substrings, so the exact name is checked here.
    absl::StatusOr<nlohmann::json> networks = client_.ListNetworks({{"name", {name}}});
    if (!networks.ok()) {
      return networks.status();
    }
    for (const auto& network : *networks) {
      if (network.value("Name", "") != name) {
        continue;
      }
      const nlohmann::json& labels = network.value("Labels", nlohmann::json());
      if (Label(labels, kLabelManaged) != "true") {
        return absl::AlreadyExistsError(
            absl::StrCat("a Docker network named ", name,
                         " exists but was not made by Prevu; remove or rename it"));
      }
      if (!IsMine(labels)) {
        return absl::AlreadyExistsError(absl::StrCat(
            "a Docker network named ", name, " belongs to the Prevu instance \"",
            Label(labels, kLabelInstance), "\"; give each Prevu its own [docker] instance"));
      }
      RememberNetwork(network.value("Id", ""), name);
      return network.value("Id", "");
    }

    absl::StatusOr<std::string> id = client_.CreateNetwork(name, OwnLabels(labels));
    if (id.ok()) {
      RememberNetwork(*id, name);
      return id;
    }
    if (absl::StrContains(id.status().message(), "non-overlapping IPv4 address pool")) {
      return OutOfAddressPools(id.status());
    }
    // Another caller created it in between: look again.
    if (!absl::IsAlreadyExists(id.status())) {
      return id.status();
    }
  }
  return absl::AbortedError(absl::StrCat("network ", name, " keeps appearing and vanishing"));
}

absl::StatusOr<ActualContainer> DockerRuntime::Run(const ContainerSpec& given) {
  ContainerSpec spec = given;
  spec.name = Scoped(given.name);
  spec.network = Scoped(given.network);
  spec.labels = OwnLabels(given.labels);
  absl::StatusOr<nlohmann::json> config = HardenedContainerConfig(spec);
  if (!config.ok()) {
    return config.status();
  }
  absl::StatusOr<std::string> id = client_.CreateContainer(spec.name, *config);
  if (!id.ok()) {
    return id.status();
  }

  absl::Status started = client_.StartContainer(*id);
  if (!started.ok()) {
    absl::Status removed = client_.RemoveContainer(*id);
    log::Warn("container did not start")
        .With("container", absl::AlphaNum(spec.name))
        .With("error", absl::AlphaNum(started.message()))
        .With("removed", removed.ok());
    return started;
  }

  absl::StatusOr<ActualContainer> container = Inspect(*id);
  if (!container.ok()) {
    return container.status();
  }
  log::Info("container started")
      .With("container", absl::AlphaNum(spec.name))
      .With("id", absl::AlphaNum(id->substr(0, 12)))
      .With("port", container->upstream_port);
  return container;
}

absl::StatusOr<ActualContainer> DockerRuntime::Inspect(const std::string& id) {
  absl::StatusOr<nlohmann::json> inspect = client_.InspectContainer(id);
  if (!inspect.ok()) {
    return inspect.status();
  }
  return Guarded(absl::StrCat("inspect container ", id), [&]() -> absl::StatusOr<ActualContainer> {
    return ContainerFromInspect(*inspect);
  });
}

absl::Status DockerRuntime::RemoveContainer(const std::string& id) {
  return GoneIsFine(client_.RemoveContainer(id));
}

absl::Status DockerRuntime::RemoveNetwork(const std::string& id) {
  return GoneIsFine(client_.RemoveNetwork(id));
}

absl::Status DockerRuntime::RemoveImage(const std::string& id) {
  return GoneIsFine(client_.RemoveImage(id));
}

absl::StatusOr<std::string> DockerRuntime::Logs(const std::string& id, int lines) {
  std::vector<std::string> collected;
  absl::Status status = client_.ContainerLogs(
      id, lines, [&](absl::string_view line) { collected.emplace_back(line); });
  if (!status.ok()) {
    return status;
  }
  return absl::StrJoin(collected, "\n");
}

bool DockerRuntime::IsKnownNetwork(const std::string& id_or_name) const {
  absl::MutexLock lock(&mu_);
  return known_networks_.contains(id_or_name);
}

void DockerRuntime::RememberNetwork(const std::string& id, const std::string& name) {
  absl::MutexLock lock(&mu_);
  known_networks_.insert(id);
  known_networks_.insert(name);
}

// Reads /events in windows of kEventWindow (so that every request has a deadline), continuing
// from the time of the last event; when the stream breaks it backs off, reconnects, and wakes
// the loop once, since events may have been missed.
class DockerRuntime::EventWatch : public Subscription {
 public:
  EventWatch(DockerRuntime* runtime, std::function<void()> on_event)
      : runtime_(runtime), on_event_(std::move(on_event)), thread_([this] { Loop(); }) {}

  ~EventWatch() override {
    stop_.Cancel();
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
  }

 private:
  void Loop() {
    absl::Duration backoff = kMinBackoff;
    absl::Time since = absl::Now();
    while (!stop_.cancelled()) {
      absl::Time until = absl::Now() + kEventWindow;
      absl::Status status = runtime_->client_.StreamEvents(
          {{"type", {"container", "network"}}}, since, until,
          [&](const nlohmann::json& event) { OnEvent(event, &since); }, stop_);
      if (stop_.cancelled()) {
        return;
      }
      if (status.ok()) {
        since = std::max(since, until);
        backoff = kMinBackoff;
        continue;
      }

      log::Warn("docker events stream broke")
          .With("error", absl::AlphaNum(status.message()))
          .With("retry_in_ms", absl::ToInt64Milliseconds(backoff));
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
      on_event_();
    }
  }

  void OnEvent(const nlohmann::json& event, absl::Time* since) {
    bool managed = true;  // an event Prevu cannot read wakes the loop rather than being lost
    try {
      int64_t nanos = event.value("timeNano", int64_t{0});
      if (nanos > 0) {
        *since = absl::FromUnixNanos(nanos);
      }
      managed = IsManaged(event);
    } catch (const nlohmann::json::exception&) {
    }
    if (managed) {
      on_event_();
    }
  }

  bool IsManaged(const nlohmann::json& event) const {
    nlohmann::json actor = event.value("Actor", nlohmann::json::object());
    nlohmann::json attributes = actor.value("Attributes", nlohmann::json::object());
    if (event.value("Type", "") == "container") {
      return runtime_->IsMine(attributes);
    }
    return runtime_->IsKnownNetwork(actor.value("ID", "")) ||
           runtime_->IsKnownNetwork(Label(attributes, "name"));
  }

  DockerRuntime* const runtime_;
  const std::function<void()> on_event_;
  CancelToken stop_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once everything above is ready
};

std::unique_ptr<Subscription> DockerRuntime::Watch(std::function<void()> on_event) {
  return std::make_unique<EventWatch>(this, std::move(on_event));
}

}  // namespace prevu::reconciler::docker

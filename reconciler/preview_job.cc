// One preview's slow work; see preview_job.h.
#include "reconciler/preview_job.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "reconciler/build/image_tag.h"
#include "reconciler/build/tree_config.h"
#include "reconciler/host_names.h"
#include "reconciler/spec_hash.h"

namespace prevu::reconciler {
namespace {

using controller::Phase;
using Outcome = JobReport::Outcome;
// Waits use the monotonic clock: the injected base::Clock stamps status and drives back-off, but
// a fake one would never let a health wait end.
using Steady = std::chrono::steady_clock;

constexpr size_t kNamePart = 40;

absl::Duration Since(Steady::time_point start) { return absl::FromChrono(Steady::now() - start); }

absl::string_view Short(absl::string_view sha) { return sha.substr(0, 12); }

template <typename T>
T Limit(std::optional<T> asked, T default_value, T max_value) {
  return std::min(asked.value_or(default_value), max_value);
}

// A suffix that keeps container names unique across restarts of Prevu.
std::string UniqueSuffix() {
  static std::atomic<uint64_t> counter{0};
  return ShortDigest(absl::StrCat(absl::ToUnixNanos(absl::Now()), "/", counter++), 3);
}

}  // namespace

std::string NetworkName(const std::string& key_text) {
  return absl::StrCat("prevu-", DnsLabel(key_text, kNamePart), "-", ShortDigest(key_text, 4));
}

std::map<std::string, std::string> PrevuLabels(const std::string& key_text,
                                               const std::string& spec_hash) {
  std::map<std::string, std::string> labels = {{kLabelManaged, "true"}, {kLabelKey, key_text}};
  if (!spec_hash.empty()) {
    labels[kLabelSpecHash] = spec_hash;
  }
  return labels;
}

PreviewJob::PreviewJob(const JobContext& context, Input input, Reporter report)
    : context_(context), input_(std::move(input)), report_(std::move(report)) {}

void PreviewJob::Run() {
  if (input_.config != nullptr) {
    image_id_ = input_.image_id;
    config_ = input_.config;
    Start();
    return;
  }

  std::string tree = absl::StrCat(context_.work_dir, "/", DnsLabel(input_.key_text, kNamePart), "-",
                                  input_.spec_hash);
  std::error_code ignored;
  std::filesystem::remove_all(tree, ignored);  // left over by a crash of Prevu
  bool built = Fetch(tree) && ReadConfig(tree) && Build(tree);
  std::filesystem::remove_all(tree, ignored);
  if (built) {
    Start();
  }
}

bool PreviewJob::Fetch(const std::string& tree) {
  if (StopIfCancelled(nullptr)) {
    return false;
  }
  Progress(Phase::kFetching, "", "", "");

  Steady::time_point start = Steady::now();
  const controller::PreviewSpec& spec = input_.spec;
  SourceRequest request{spec.clone_url,      spec.head_sha, spec.head_ref, input_.key.number,
                        input_.key.provider, input_.token,  tree};
  absl::Status fetched = context_.fetcher->Fetch(request, cancel_);
  if (StopIfCancelled(nullptr)) {
    return false;
  }
  if (!fetched.ok()) {
    cause_ = fetched;
    End(Outcome::kFailed, "Fetched", "FetchFailed",
        absl::StrCat("Fetching commit ", Short(spec.head_sha), " failed: ", fetched.message()));
    return false;
  }
  Progress(Phase::kBuilding, "Fetched", "Fetched",
           absl::StrCat("Commit ", Short(spec.head_sha), " fetched."), "fetch", Since(start));
  return true;
}

bool PreviewJob::ReadConfig(const std::string& tree) {
  absl::StatusOr<controller::RepoConfig> config = build::LoadTreeConfig(tree);
  if (!config.ok()) {
    End(Outcome::kFailed, "Built", "InvalidConfig",
        absl::StrCat("The repository's `.prevu.toml` is invalid; fix it and push again:\n",
                     config.status().message()));
    return false;
  }
  config_ = std::make_shared<const controller::RepoConfig>(*std::move(config));
  return true;
}

bool PreviewJob::Build(const std::string& tree) {
  absl::StatusOr<std::string> context_dir = build::ContextDir(tree, config_->build);
  if (!context_dir.ok()) {
    End(Outcome::kFailed, "Built", "InvalidConfig", std::string(context_dir.status().message()));
    return false;
  }

  Steady::time_point start = Steady::now();
  const controller::BuildSettings& settings = config_->build;
  BuildSpec spec{*context_dir,
                 settings.dockerfile,
                 settings.target,
                 settings.args,
                 build::ImageTag(input_.key.repo, input_.key.number, input_.spec.head_sha),
                 PrevuLabels(input_.key_text, input_.spec_hash)};
  LogSink sink = [this](absl::string_view line) { tail_.Append(line); };
  absl::StatusOr<std::string> image = context_.runtime->Build(spec, sink, cancel_);
  if (StopIfCancelled(nullptr)) {
    return false;
  }
  if (!image.ok()) {
    cause_ = image.status();
    End(Outcome::kFailed, "Built", "BuildFailed",
        absl::StrCat("The Docker build failed: ", image.status().message()));
    return false;
  }
  image_id_ = *image;
  Progress(Phase::kStarting, "Built", "Built", absl::StrCat("Image ", spec.tag, " built."), "build",
           Since(start));
  return true;
}

bool PreviewJob::Start() {
  if (StopIfCancelled(nullptr)) {
    return false;
  }
  Progress(Phase::kStarting, "", "", "");

  Steady::time_point start = Steady::now();
  absl::StatusOr<std::string> network = context_.runtime->EnsureNetwork(
      NetworkName(input_.key_text), PrevuLabels(input_.key_text, ""));
  if (!network.ok()) {
    cause_ = network.status();
    End(Outcome::kFailed, "Running", "NetworkFailed",
        absl::StrCat("Creating the preview's network failed: ", network.status().message()));
    return false;
  }
  absl::StatusOr<ActualContainer> container = context_.runtime->Run(MakeContainerSpec());
  if (!container.ok()) {
    cause_ = container.status();
    End(Outcome::kFailed, "Running", "StartFailed",
        absl::StrCat("Starting the container failed: ", container.status().message()));
    return false;
  }
  Progress(
      Phase::kStarting, "Running", "Started",
      absl::StrCat("The container runs; waiting for ", config_->run.health_path, " to answer."),
      "start", Since(start));
  return WaitHealthy(*container);
}

bool PreviewJob::WaitHealthy(const ActualContainer& container) {
  const std::string& path = config_->run.health_path;
  Steady::time_point start = Steady::now();
  Steady::time_point deadline = start + absl::ToChronoNanoseconds(context_.health_timeout);
  Steady::time_point next_check = start;  // the first failed probe checks at once
  absl::Status probe = absl::UnavailableError("the container publishes no port");
  // An app usually listens within milliseconds of its container starting: probe again soon,
  // then less and less often, up to `health_interval`.
  absl::Duration pause = std::min(absl::Milliseconds(10), context_.health_interval);
  while (!StopIfCancelled(&container)) {
    if (container.upstream_port != 0) {
      probe = context_.probe->Probe(container.upstream_host, container.upstream_port, path,
                                    std::min(absl::Seconds(2), context_.health_timeout));
    }
    if (probe.ok()) {
      Progress(Phase::kReady, "", "", "", "health", Since(start));
      End(Outcome::kReady, "Ready", "Healthy", absl::StrCat(path, " answered with 2xx or 3xx."),
          &container);
      return true;
    }

    // A container that has exited will never answer: say so at once, not at the deadline.
    if (Steady::now() >= next_check) {
      next_check = Steady::now() + std::chrono::milliseconds(500);
      if (std::optional<ActualContainer> dead = Exited(container)) {
        End(Outcome::kExited, "Running", "Exited",
            absl::StrCat("The container exited with code ", dead->exit_code, " before ", path,
                         " answered. Its last output:\n", ContainerOutput(container.id.str())),
            &*dead);
        return false;
      }
    }

    if (Steady::now() >= deadline) {
      std::string output = ContainerOutput(container.id.str());
      context_.runtime->RemoveContainer(container.id.str()).IgnoreError();
      End(Outcome::kFailed, "Ready", "Unhealthy",
          absl::StrCat("The app did not answer ", path, " on port ", config_->run.port,
                       " with 2xx or 3xx within ", absl::FormatDuration(context_.health_timeout),
                       " (", probe.message(), "). Its last output:\n", output));
      return false;
    }
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(pause));
    pause = std::min(pause * 2, context_.health_interval);
  }
  return false;
}

std::optional<ActualContainer> PreviewJob::Exited(const ActualContainer& container) const {
  absl::StatusOr<ActualContainer> now = context_.runtime->Inspect(container.id.str());
  if (absl::IsNotFound(now.status())) {
    ActualContainer gone = container;
    gone.running = false;
    gone.exit_code = -1;
    return gone;
  }
  if (!now.ok() || now->running) {
    return std::nullopt;  // running, or unknown: the health deadline still ends the wait
  }
  return *std::move(now);
}

ContainerSpec PreviewJob::MakeContainerSpec() const {
  const controller::RepoConfig& config = *config_;
  const controller::ResourceLimits& limits = input_.limits;
  ContainerSpec spec;
  spec.name = absl::StrCat("prevu-", DnsLabel(input_.key_text, kNamePart), "-",
                           input_.spec_hash.substr(0, 8), "-", UniqueSuffix());
  spec.image = image_id_;
  spec.network = NetworkName(input_.key_text);
  spec.port = config.run.port;
  spec.command = config.run.command;
  spec.env = config.run.env;
  spec.labels = PrevuLabels(input_.key_text, input_.spec_hash);
  spec.memory_bytes =
      Limit(config.resources.memory_bytes, limits.default_memory_bytes, limits.max_memory_bytes);
  spec.cpus = Limit(config.resources.cpus, limits.default_cpus, limits.max_cpus);
  spec.pids = Limit(config.resources.pids, limits.default_pids, limits.max_pids);
  return spec;
}

bool PreviewJob::StopIfCancelled(const ActualContainer* container) {
  if (!cancel_.cancelled()) {
    return false;
  }
  if (container != nullptr) {
    context_.runtime->RemoveContainer(container->id.str()).IgnoreError();
  }
  End(Outcome::kCancelled, "", "", "");
  return true;
}

void PreviewJob::Progress(Phase phase, absl::string_view condition, absl::string_view reason,
                          std::string message, absl::string_view step, absl::Duration took) {
  JobReport report;
  report.key = input_.key;
  report.spec_hash = input_.spec_hash;
  report.phase = phase;
  report.condition = std::string(condition);
  report.reason = std::string(reason);
  report.message = std::move(message);
  report.step = std::string(step);
  report.took_ms = absl::ToInt64Milliseconds(took);
  report.log_tail = tail_.Text();
  report_(std::move(report));
}

void PreviewJob::End(Outcome outcome, absl::string_view condition, absl::string_view reason,
                     std::string message, const ActualContainer* container) {
  JobReport report;
  report.key = input_.key;
  report.spec_hash = input_.spec_hash;
  report.outcome = outcome;
  report.phase = outcome == Outcome::kReady ? Phase::kReady : Phase::kFailed;
  report.condition = std::string(condition);
  report.condition_ok = outcome == Outcome::kReady;
  report.reason = std::string(reason);
  report.message = std::move(message);
  report.log_tail = tail_.Text();
  if (container != nullptr) {
    report.container = *container;
  }
  report.image_id = image_id_;
  report.config = config_;
  report.cause = cause_;
  report_(std::move(report));
}

std::string PreviewJob::ContainerOutput(const std::string& id) const {
  absl::StatusOr<std::string> logs = context_.runtime->Logs(id, context_.failure_log_lines);
  if (!logs.ok()) {
    return absl::StrCat("(its output could not be read: ", logs.status().message(), ")");
  }
  return logs->empty() ? "(it printed nothing)" : *logs;
}

}  // namespace prevu::reconciler

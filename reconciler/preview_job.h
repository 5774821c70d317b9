// One preview's slow work, run on the worker pool: fetch the commit, read its `.prevu.toml`,
// build the image, then start the container on the preview's network and wait until it answers
// its health check. A job never writes status itself: it reports each step to the loop, which
// is the only writer.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "controller/config/host_config.h"
#include "controller/config/repo_config.h"
#include "controller/preview.h"
#include "reconciler/build/log_tail.h"
#include "reconciler/health_probe.h"
#include "reconciler/runtime.h"
#include "reconciler/source_fetcher.h"

namespace prevu::reconciler {

// What a job tells the loop: a step settled (a condition and its timing), or the end.
struct JobReport {
  enum class Outcome { kRunning, kReady, kFailed, kExited, kCancelled };

  controller::PreviewKey key;
  std::string spec_hash;
  Outcome outcome = Outcome::kRunning;  // kRunning: progress; anything else ends the job
  controller::Phase phase = controller::Phase::kPending;
  std::string condition;  // "Fetched", "Built", "Running", "Ready"; "" = none settled
  bool condition_ok = true;
  std::string reason;
  std::string message;  // for the condition, and the error sentence when failed
  std::string step;     // "fetch", "build", "start", "health"; "" = no timing
  int64_t took_ms = 0;
  std::string log_tail;

  // When the job ends.
  // kFailed: the failing call's own status, whose code says whether trying again may help; OK
  // when trying again cannot (an invalid `.prevu.toml`, an app that never answers).
  absl::Status cause;
  ActualContainer container;                             // kReady, kExited
  std::string image_id;                                  // kReady
  std::shared_ptr<const controller::RepoConfig> config;  // kReady
};

// Collaborators and settings shared by every job; they must outlive the jobs.
struct JobContext {
  ContainerRuntime* runtime = nullptr;
  SourceFetcher* fetcher = nullptr;
  HealthProbe* probe = nullptr;
  std::string work_dir;  // fetched trees go below it, and are removed after the build
  absl::Duration health_timeout = absl::Seconds(60);
  absl::Duration health_interval = absl::Milliseconds(250);
  int failure_log_lines = 30;  // lines of container output kept when it fails
};

class PreviewJob {
 public:
  struct Input {
    controller::PreviewKey key;
    std::string key_text;
    controller::PreviewSpec spec;
    std::string spec_hash;
    std::optional<controller::Secret> token;
    // The host's defaults and maxima at the time the job was queued (a reload may change them).
    controller::ResourceLimits limits;
    // Start from this image and these settings instead of fetching and building, when set.
    std::string image_id;
    std::shared_ptr<const controller::RepoConfig> config;
  };

  using Reporter = std::function<void(JobReport)>;

  // `report` is called on the worker thread, once per settled step and exactly once with an
  // outcome other than kRunning.
  PreviewJob(const JobContext& context, Input input, Reporter report);

  // Runs every step; on the worker thread.
  void Run();

  // Makes Run() stop at its next step (a build in progress is cancelled). Any thread.
  void Cancel() { cancel_.Cancel(); }
  const std::string& spec_hash() const { return input_.spec_hash; }

 private:
  // Each returns false when the job has ended (it then has reported the end).
  bool Fetch(const std::string& tree);
  bool ReadConfig(const std::string& tree);
  bool Build(const std::string& tree);
  bool Start();
  bool WaitHealthy(const ActualContainer& container);

  // The container as listed when it is no longer running (exit code -1 when it is gone).
  std::optional<ActualContainer> Exited(const ActualContainer& container) const;
  ContainerSpec MakeContainerSpec() const;
  bool StopIfCancelled(const ActualContainer* container);
  void Progress(controller::Phase phase, absl::string_view condition, absl::string_view reason,
                std::string message, absl::string_view step = "", absl::Duration took = {});
  void End(JobReport::Outcome outcome, absl::string_view condition, absl::string_view reason,
           std::string message, const ActualContainer* container = nullptr);
  std::string ContainerOutput(const std::string& id) const;

  const JobContext& context_;
  Input input_;
  Reporter report_;
  CancelToken cancel_;
  build::LogTail tail_;
  std::string image_id_;
  std::shared_ptr<const controller::RepoConfig> config_;
  absl::Status cause_;
};

// The name of the Docker network of a preview: "prevu-" + a readable form of the key, made
// unique with a short hash of the key.
std::string NetworkName(const std::string& key_text);

// Prevu's labels for an object of this preview; `spec_hash` may be empty (networks).
std::map<std::string, std::string> PrevuLabels(const std::string& key_text,
                                               const std::string& spec_hash);

}  // namespace prevu::reconciler

// The reconcile loop; see reconciler.h.
#include "reconciler/reconciler.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "controller/base/log.h"
#include "reconciler/spec_hash.h"

namespace prevu::reconciler {
namespace {

using controller::Phase;
using Outcome = JobReport::Outcome;

absl::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kRunning:
      return "running";
    case Outcome::kReady:
      return "ready";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kExited:
      return "exited";
    case Outcome::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

// Sets a condition unless it already says exactly this; returns whether anything changed.
bool Update(controller::PreviewStatus& status, absl::string_view type, bool ok,
            absl::string_view reason, absl::string_view message, absl::Time now) {
  const controller::Condition* c = status.FindCondition(type);
  absl::string_view value = ok ? "True" : "False";
  if (c != nullptr && c->status == value && c->reason == reason && c->message == message) {
    return false;
  }
  status.SetCondition(type, value, reason, message, now);
  return true;
}

// A string field for a log line, passed by way of log::Line's generic With(): the skeleton's
// log.cc does not define the With(string_view, string_view) overload that log.h declares.
absl::AlphaNum Text(absl::string_view text) { return absl::AlphaNum(text); }

std::string ExitText(int exit_code) {
  return exit_code < 0 ? "vanished" : absl::StrCat("exited with code ", exit_code);
}

}  // namespace

Reconciler::Reconciler(controller::DesiredStore* store, ContainerRuntime* runtime,
                       SourceFetcher* fetcher, proxy::RoutePublisher* publisher,
                       const controller::HostConfig& config, const base::Clock* clock,
                       ReconcilerOptions options)
    : store_(store),
      runtime_(runtime),
      config_(config),
      clock_(clock),
      publisher_(publisher),
      options_(std::move(options)),
      route_table_(HostNames(config_.proxy, options_.url_scheme)) {
  job_context_.runtime = runtime;
  job_context_.fetcher = fetcher;
  job_context_.probe = options_.probe != nullptr ? options_.probe : &http_probe_;
  job_context_.work_dir =
      options_.work_dir.empty() ? config_.state.dir + "/work" : options_.work_dir;
  job_context_.health_timeout = options_.health_timeout;
  job_context_.health_interval = options_.health_interval;
}

Reconciler::~Reconciler() { Stop(); }

absl::Status Reconciler::Start() {
  std::error_code ec;
  std::filesystem::create_directories(job_context_.work_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("Cannot create the work directory `", job_context_.work_dir,
                     "` for fetched sources: ", ec.message(), ". Check `[state] dir`."));
  }

  pool_ = std::make_unique<WorkerPool>(config_.reconcile.max_parallel_builds);
  subscription_ = store_->Subscribe([this] { Wake(); });
  watch_ = runtime_->Watch([this] { Wake(); });
  thread_ = std::thread([this] { Loop(); });
  started_ = true;
  log::Info("reconciler started")
      .With("interval", Text(absl::FormatDuration(config_.reconcile.interval)))
      .With("max_parallel_builds", config_.reconcile.max_parallel_builds);
  return absl::OkStatus();
}

void Reconciler::Stop() {
  if (!started_) {
    return;
  }
  started_ = false;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();

  store_->Unsubscribe(subscription_);
  watch_.reset();
  for (auto& [key, entry] : entries_) {
    if (entry.job != nullptr) {
      entry.job->Cancel();
    }
  }
  pool_.reset();  // waits for the jobs that run; they stop at their next step
  log::Info("reconciler stopped").With("passes", passes());
}

void Reconciler::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

bool Reconciler::Healthy() const {
  absl::MutexLock lock(&mu_);
  return problem_.empty();
}

std::string Reconciler::Problem() const {
  absl::MutexLock lock(&mu_);
  return problem_;
}

int64_t Reconciler::passes() const {
  absl::MutexLock lock(&mu_);
  return passes_;
}

void Reconciler::Loop() {
  auto woken = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return wake_ || stopping_; };
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&woken), next_wait_);
      if (stopping_) {
        return;
      }
      wake_ = false;
    }
    Pass();
  }
}

void Reconciler::SetConfig(const controller::HostConfig& config) {
  absl::MutexLock lock(&mu_);
  next_config_ = config;
  wake_ = true;
}

void Reconciler::TakeConfig() {
  std::optional<controller::HostConfig> next;
  {
    absl::MutexLock lock(&mu_);
    next.swap(next_config_);
  }
  if (!next) {
    return;
  }
  if (!(config_.resources == next->resources)) {
    // The limits are part of every spec hash: recompute them all, so previews are recreated.
    for (auto& [key, entry] : entries_) {
      entry.hash_generation = -1;
    }
  }
  config_.resources = next->resources;
  config_.reconcile.interval = next->reconcile.interval;
  config_.repos = std::move(next->repos);
  log::Info("reconciler configuration reloaded")
      .With("interval", Text(absl::FormatDuration(config_.reconcile.interval)))
      .With("repos", config_.repos.size());
}

void Reconciler::Pass() {
  uint64_t pass = ++pass_id_;
  auto started = std::chrono::steady_clock::now();
  absl::Time now = clock_->Now();
  TakeConfig();

  // Job results first. They are written to the store only after the routes are published: a
  // preview whose status says ready must already be served, or a client that waits for the phase
  // and then asks the proxy would get a 503. Until then the diff reads the loop's own statuses.
  ApplyReports(now);

  std::vector<controller::Preview> previews = store_->List();
  for (controller::Preview& preview : previews) {
    if (auto it = entries_.find(preview.key); it != entries_.end() && it->second.dirty) {
      preview.status = it->second.status;
    }
  }
  absl::StatusOr<ActualState> actual = runtime_->List();
  NoteListing(actual.status());
  std::vector<DesiredPreview> desired = Describe(previews);
  Plan plan = Diff(desired, actual.ok() ? &*actual : nullptr, now, options_.diff);

  // Routes first: they name only containers that run now, so a replaced container leaves the
  // route table before the plan removes it, and no request is sent to a container being removed.
  if (plan.routes_valid) {
    Publish(plan, desired, now);
  }
  Execute(plan, pass, now);
  WriteStatuses();
  DropUnseen(pass);

  next_wait_ = NextWait(plan, now);
  {
    absl::MutexLock lock(&mu_);
    ++passes_;
  }
  int64_t took_us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
  log::Line(plan.actions.empty() ? log::Level::kDebug : log::Level::kInfo, "reconcile pass")
      .With("pass", pass)
      .With("previews", previews.size())
      .With("actions", plan.actions.size())
      .With("docker", Text(actual.ok() ? "ok" : "unreachable"))
      .With("took_us", took_us);
}

void Reconciler::ApplyReports(absl::Time now) {
  std::vector<JobReport> reports;
  {
    absl::MutexLock lock(&mu_);
    reports.swap(reports_);
  }
  for (const JobReport& report : reports) {
    auto it = entries_.find(report.key);
    if (it == entries_.end() || it->second.memory.job_hash != report.spec_hash) {
      continue;  // the preview was forgotten meanwhile
    }
    Apply(it->second, report, now);
  }
}

void Reconciler::Apply(Entry& entry, const JobReport& report, absl::Time now) {
  controller::PreviewStatus& status = entry.status;
  if (!report.condition.empty()) {
    Update(status, report.condition, report.condition_ok, report.reason, report.message, now);
  }
  if (!report.step.empty()) {
    status.timings_ms[report.step] = report.took_ms;
  }
  if (!report.log_tail.empty()) {
    status.log_tail = report.log_tail;
  }
  entry.dirty = true;
  // The step that kept failing has worked: its back-off starts afresh next time.
  PreviewMemory& memory = entry.memory;
  if (report.condition_ok && report.condition == memory.retry_step &&
      report.spec_hash == memory.retry_hash) {
    memory.retry_hash.clear();
    memory.retry_step.clear();
    memory.job_failures = 0;
    memory.job_retry_at = absl::InfinitePast();
  }
  if (report.outcome == Outcome::kRunning) {
    status.phase = report.phase;
    return;
  }
  Finish(entry, report, now);
}

void Reconciler::Finish(Entry& entry, const JobReport& report, absl::Time now) {
  PreviewMemory& memory = entry.memory;
  controller::PreviewStatus& status = entry.status;
  entry.job.reset();
  memory.job_hash.clear();
  log::Info("job finished")
      .With("preview", Text(entry.key_text))
      .With("spec_hash", Text(report.spec_hash))
      .With("outcome", Text(OutcomeName(report.outcome)))
      .With("reason", Text(report.reason));
  if (report.outcome == Outcome::kCancelled) {
    return;
  }

  // What was built can be started again without a rebuild, and says how long it may live.
  if (report.config != nullptr && !report.image_id.empty()) {
    memory.image_hash = report.spec_hash;
    memory.image_id = report.image_id;
    entry.config = report.config;
    entry.ttl = report.config->preview.ttl;
  }
  if (report.spec_hash == entry.spec_hash) {
    status.observed_generation = entry.hash_generation;
  }
  if (report.outcome == Outcome::kReady) {
    memory.ready_container = report.container.id;
    memory.failed_hash.clear();
    status.phase = Phase::kReady;
    status.container_id = report.container.id.str();
    status.image_id = report.image_id;
    status.error.reset();
    return;
  }

  if (report.outcome == Outcome::kFailed && RetryLater(entry, report, now)) {
    return;
  }

  // A container that exited is restarted by the next pass (with back-off); anything else waits
  // for a new push or a redeploy.
  std::string error = report.message;
  if (report.outcome == Outcome::kFailed) {
    memory.failed_hash = report.spec_hash;
    if (memory.retry_hash == report.spec_hash && memory.job_failures > 1) {
      absl::StrAppend(&error, " (gave up after ", memory.job_failures,
                      " attempts; a new push or a redeploy tries again)");
      Update(status, report.condition, false, report.reason, error, now);
    }
  }
  status.phase = Phase::kFailed;
  status.error = error;
  if (report.condition != "Ready") {
    Update(status, "Ready", false, report.reason, error, now);
  }
}

bool Reconciler::RetryLater(Entry& entry, const JobReport& report, absl::Time now) {
  PreviewMemory& memory = entry.memory;
  if (report.cause.ok()) {
    return false;
  }
  if (memory.retry_hash != report.spec_hash || memory.retry_step != report.condition) {
    memory.retry_hash = report.spec_hash;
    memory.retry_step = report.condition;
    memory.job_failures = 0;
  }
  ++memory.job_failures;

  bool fetch = report.condition == "Fetched";
  bool retry = fetch ? RetryFetch(report.cause.code(), memory.job_failures)
                     : RetryDocker(report.cause.code());
  absl::Duration delay = BackoffDelay(memory.job_failures, options_.diff);
  log::Warn("job step failed")
      .With("preview", Text(entry.key_text))
      .With("spec_hash", Text(report.spec_hash))
      .With("step", Text(report.condition))
      .With("attempt", memory.job_failures)
      .With("retry_in_ms", retry ? absl::ToInt64Milliseconds(delay) : int64_t{-1})
      .With("error", Text(report.cause.message()));
  if (!retry) {
    memory.job_retry_at = absl::InfinitePast();
    return false;
  }

  // The diff starts the job again once this time has passed.
  memory.job_retry_at = now + delay;
  controller::PreviewStatus& status = entry.status;
  status.phase = Phase::kFailed;
  status.error =
      fetch ? absl::StrCat("Fetch failed, retrying in ", absl::FormatDuration(delay), ": ",
                           report.cause.message())
            : absl::StrCat(report.message, " Retrying in ", absl::FormatDuration(delay), ".");
  Update(status, report.condition, false, report.reason, *status.error, now);
  Update(status, "Ready", false, report.reason, *status.error, now);
  return true;
}

std::vector<DesiredPreview> Reconciler::Describe(const std::vector<controller::Preview>& previews) {
  std::vector<DesiredPreview> desired;
  desired.reserve(previews.size());
  described_.clear();
  described_.reserve(previews.size());
  for (const controller::Preview& preview : previews) {
    auto [it, inserted] = entries_.try_emplace(preview.key);
    Entry& entry = it->second;
    if (inserted) {
      entry.key = preview.key;
      entry.key_text = preview.key.ToString();
      entry.key_id = entry.key_text;
      entry.label = route_table_.names().Label(preview.key);
      entry.status = preview.status;
    }
    if (entry.hash_generation != preview.spec.generation) {
      entry.spec_hash = SpecHash(preview.key, preview.spec, config_.resources);
      entry.hash_generation = preview.spec.generation;
    }
    entry.seen_pass = pass_id_;
    desired.push_back(
        DesiredPreview{&preview, &entry.key_id, &entry.spec_hash, entry.ttl, &entry.memory});
    described_.push_back(&entry);
  }
  return desired;
}

void Reconciler::Execute(const Plan& plan, uint64_t pass, absl::Time now) {
  // A preview is forgotten only when every removal of this pass for it worked.
  absl::flat_hash_set<size_t> removal_failed;
  for (const Action& action : plan.actions) {
    Entry* entry = action.preview == kNoPreview ? nullptr : described_[action.preview];
    bool failed = false;
    if (action.type == ActionType::kForget) {
      if (removal_failed.contains(action.preview) || entry->job != nullptr) {
        continue;
      }
      absl::Status forgotten = store_->Forget(entry->key);
      log::Info("preview forgotten")
          .With("pass", pass)
          .With("preview", Text(entry->key_text))
          .With("expired", Text(action.expired ? "true" : "false"))
          .With("error", Text(forgotten.message()));
      entry->forget = forgotten.ok();
      continue;
    }
    if (action.type == ActionType::kDeploy || action.type == ActionType::kStart) {
      StartJob(*entry, action, now);
      continue;
    }
    ExecuteOne(action, entry, pass, now, &failed);
    if (failed && action.preview != kNoPreview) {
      removal_failed.insert(action.preview);
    }
  }
}

void Reconciler::ExecuteOne(const Action& action, Entry* entry, uint64_t pass, absl::Time now,
                            bool* removal_failed) {
  absl::Status done = CallDocker(action, entry);
  *removal_failed = !done.ok();
  if (entry != nullptr) {
    RecordStatus(action, *entry, now);
  }

  log::Line(done.ok() ? log::Level::kInfo : log::Level::kWarn, "reconcile action")
      .With("pass", pass)
      .With("action", Text(ActionTypeName(action.type)))
      .With("preview", Text(entry != nullptr ? absl::string_view(entry->key_text) : "-"))
      .With("id", Text(action.id.empty() ? action.spec_hash : action.id))
      .With("error", Text(done.message()));
}

absl::Status Reconciler::CallDocker(const Action& action, Entry* entry) {
  switch (action.type) {
    case ActionType::kRemoveContainer:
      return runtime_->RemoveContainer(action.id);
    case ActionType::kRemoveNetwork:
      return runtime_->RemoveNetwork(action.id);
    case ActionType::kRemoveImage:
      return runtime_->RemoveImage(action.id);
    case ActionType::kEnsureNetwork:
      return runtime_->EnsureNetwork(NetworkName(entry->key_text), PrevuLabels(entry->key_text, ""))
          .status();
    case ActionType::kCancel:
      if (entry->job != nullptr && entry->job->spec_hash() == action.spec_hash) {
        entry->job->Cancel();
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

void Reconciler::RecordStatus(const Action& action, Entry& entry, absl::Time now) {
  controller::PreviewStatus& status = entry.status;
  switch (action.type) {
    case ActionType::kAdopt: {
      bool adopted = entry.memory.ready_container != action.id;
      entry.memory.ready_container = action.id;
      status.phase = Phase::kReady;
      status.container_id = action.id;
      status.observed_generation = entry.hash_generation;
      status.error.reset();
      Update(status, "Running", true, "Running", "The container runs.", now);
      Update(status, "Ready", true, adopted ? "Adopted" : "Healthy",
             adopted ? "A running container of this spec was adopted without a rebuild."
                     : "The app answers its health check.",
             now);
      break;
    }
    case ActionType::kResetBackoff:
      entry.memory.restarts = 0;
      entry.memory.retry_at = absl::InfinitePast();
      return;
    case ActionType::kCrashLoop:
      status.phase = Phase::kFailed;
      status.error =
          absl::StrCat("crashloop: the container keeps dying (it ", ExitText(action.exit_code),
                       ", ", entry.memory.restarts, " restarts); Prevu starts it again in ",
                       absl::FormatDuration(absl::Ceil(action.retry_at - now, absl::Seconds(1))),
                       ". Its log tail shows why it exits.");
      Update(status, "Ready", false, "CrashLoop", *status.error, now);
      break;
    case ActionType::kMarkDeleting:
      status.phase = Phase::kDeleting;
      Update(status, "Ready", false, action.expired ? "Expired" : "Closed",
             action.expired ? "The preview outlived its `[preview] ttl` and is being removed."
                            : "The request was closed; the preview is being removed.",
             now);
      Update(status, "Routed", false, "Deleting", "The preview is being removed.", now);
      break;
    default:
      return;
  }
  entry.dirty = true;
}

void Reconciler::StartJob(Entry& entry, const Action& action, absl::Time now) {
  PreviewMemory& memory = entry.memory;
  const std::optional<controller::Preview> preview = store_->Get(entry.key);
  if (!preview) {
    return;
  }
  if (memory.restarts_hash != action.spec_hash) {
    memory.restarts_hash = action.spec_hash;
    memory.restarts = 0;
    memory.retry_at = absl::InfinitePast();
  }
  if (action.restart) {
    ++memory.restarts;
    memory.retry_at = now + BackoffDelay(memory.restarts, options_.diff);
    Update(entry.status, "Running", false, "Restarting",
           absl::StrCat("The container ", ExitText(action.exit_code),
                        "; starting it again (restart ", memory.restarts, ")."),
           now);
  }

  PreviewJob::Input input{entry.key, entry.key_text, preview->spec, action.spec_hash};
  input.limits = config_.resources;
  const controller::RepoEntry* repo = config_.FindRepo(entry.key.provider, entry.key.repo);
  if (repo != nullptr) {
    input.token = repo->git_token;
    if (!repo->clone_url.empty()) {
      input.spec.clone_url = repo->clone_url;
    }
  }
  if (action.type == ActionType::kStart) {
    input.image_id = action.image_id;
    input.config = entry.config;
  }

  memory.job_hash = action.spec_hash;
  entry.status.phase = Phase::kPending;
  entry.dirty = true;
  entry.job = std::make_shared<PreviewJob>(
      job_context_, std::move(input), [this](JobReport report) { PostReport(std::move(report)); });
  pool_->Post([job = entry.job] { job->Run(); });
  log::Info("job queued")
      .With("preview", Text(entry.key_text))
      .With("kind", Text(ActionTypeName(action.type)))
      .With("spec_hash", Text(action.spec_hash))
      .With("generation", preview->spec.generation)
      .With("restart", Text(action.restart ? "true" : "false"));
}

void Reconciler::Publish(const Plan& plan, const std::vector<DesiredPreview>& desired,
                         absl::Time now) {
  std::vector<RouteTableBuilder::Target> targets;
  targets.reserve(plan.routes.size());
  for (const RouteTarget& target : plan.routes) {
    const controller::PreviewKey& key = desired[target.preview].preview->key;
    targets.push_back(RouteTableBuilder::Target{
        &key, desired[target.preview].key, described_[target.preview]->label, target.ready,
        target.upstream_host, target.upstream_port, RouteAuthFor(key)});
  }
  std::optional<std::vector<proxy::Route>> table = route_table_.Update(targets);
  if (table) {
    for (size_t i = 0; i < table->size(); ++i) {
      const proxy::Route& route = (*table)[i];
      Entry& entry = *described_[plan.routes[i].preview];
      entry.dirty |= NoteRoute(entry, route.host, route.ready, now);
    }
    publisher_->Publish(*std::move(table));
  }
  // Otherwise the proxy serves this very table, and the statuses say so; certificates move on
  // their own, so they are looked at on every pass.
  if (options_.certificate_status) {
    for (const RouteTarget& target : plan.routes) {
      Entry& entry = *described_[target.preview];
      entry.dirty |= NoteCertificate(entry, entry.url_host, now);
    }
  }
}

proxy::RouteAuth Reconciler::RouteAuthFor(const controller::PreviewKey& key) const {
  const controller::RepoEntry* repo = config_.FindRepo(key.provider, key.repo);
  if (repo == nullptr || !repo->auth_mode) {
    return proxy::RouteAuth::kDefault;
  }
  switch (*repo->auth_mode) {
    case controller::AuthMode::kNone:
      return proxy::RouteAuth::kNone;
    case controller::AuthMode::kPassword:
      return proxy::RouteAuth::kPassword;
    case controller::AuthMode::kForward:
      return proxy::RouteAuth::kForward;
    case controller::AuthMode::kBypassToken:
      return proxy::RouteAuth::kBypassToken;
  }
  return proxy::RouteAuth::kDefault;
}

bool Reconciler::NoteCertificate(Entry& entry, const std::string& host, absl::Time now) {
  if (host.empty()) {
    return false;
  }
  CertificateCondition cert = options_.certificate_status(host);
  return Update(entry.status, "CertReady", cert.ready, cert.reason, cert.message, now);
}

bool Reconciler::NoteRoute(Entry& entry, const std::string& host, bool ready, absl::Time now) {
  controller::PreviewStatus& status = entry.status;
  bool moved = entry.url_host != host;
  if (moved) {
    entry.url_host = host;
    status.url = route_table_.names().Url(host);
  }

  // The messages only name the host, so the same host, status and reason mean the same message;
  // comparing those first spares building two strings per preview and pass.
  absl::string_view reason = ready ? "Published" : "NotReady";
  const controller::Condition* routed = status.FindCondition("Routed");
  if (!moved && routed != nullptr && routed->reason == reason &&
      routed->status == (ready ? "True" : "False")) {
    return false;
  }
  bool updated = Update(status, "Routed", ready, reason,
                        ready ? absl::StrCat(host, " serves the preview.")
                              : absl::StrCat(host, " answers 503 until it is ready."),
                        now);
  return updated || moved;
}

void Reconciler::WriteStatuses() {
  for (auto& [key, entry] : entries_) {
    if (entry.dirty && !entry.forget) {
      store_->SetStatus(entry.key, entry.status);
      entry.dirty = false;
    }
  }
}

void Reconciler::DropUnseen(uint64_t pass) {
  // Forgotten previews, and ones that left the store some other way, once no job runs for them.
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& entry = it->second;
    bool gone = entry.forget || entry.seen_pass != pass;
    if (gone && entry.job != nullptr) {
      entry.job->Cancel();
    }
    if (gone && entry.job == nullptr) {
      entries_.erase(it++);
    } else {
      ++it;
    }
  }
  described_.clear();
}

void Reconciler::NoteListing(const absl::Status& listed) {
  absl::MutexLock lock(&mu_);
  if (listed.ok()) {
    if (docker_failures_ > 0) {
      log::Info("docker reachable again").With("failed_passes", docker_failures_);
    }
    docker_failures_ = 0;
    problem_.clear();
    return;
  }
  ++docker_failures_;
  problem_ =
      absl::StrCat("Docker cannot be reached, so previews are not reconciled (", listed.message(),
                   "). Check that the daemon runs and that `[docker] "
                   "socket` is right; Prevu retries by itself.");
  log::Warn("docker unreachable")
      .With("failed_passes", docker_failures_)
      .With("error", Text(listed.message()));
}

absl::Duration Reconciler::NextWait(const Plan& plan, absl::Time now) const {
  absl::Duration wait = config_.reconcile.interval;
  if (docker_failures_ > 0) {
    absl::Duration retry = absl::Seconds(1);
    for (int i = 1; i < docker_failures_ && retry < options_.docker_retry_max; ++i) {
      retry *= 2;
    }
    wait = std::min({wait, retry, options_.docker_retry_max});
  }
  if (plan.next_wake != absl::InfiniteFuture()) {
    wait = std::min(wait, std::max(plan.next_wake - now, absl::Milliseconds(10)));
  }
  return wait;
}

void Reconciler::PostReport(JobReport report) {
  absl::MutexLock lock(&mu_);
  reports_.push_back(std::move(report));
  wake_ = true;
}

}  // namespace prevu::reconciler

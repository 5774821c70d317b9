// The reconcile loop: one thread that makes Docker match the desired store, again and again.
// It wakes on a store change, on a Docker event and on `[reconcile] interval`; each pass lists
// what Docker has, computes the pure diff (diff.h), carries out its quick actions itself, hands
// slow ones (fetch, build, start, health wait) to a bounded worker pool, writes every preview's
// status (it is the only writer) and publishes the whole set of routes to the proxy.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "controller/base/clock.h"
#include "controller/config/host_config.h"
#include "controller/desired_store.h"
#include "proxy/route_publisher.h"
#include "reconciler/diff.h"
#include "reconciler/health_probe.h"
#include "reconciler/host_names.h"
#include "reconciler/preview_job.h"
#include "reconciler/route_table_builder.h"
#include "reconciler/runtime.h"
#include "reconciler/source_fetcher.h"
#include "reconciler/worker_pool.h"

namespace prevu::reconciler {

// What the TLS side knows of a host's certificate, for the preview's CertReady condition.
struct CertificateCondition {
  bool ready = false;
  std::string reason;   // CamelCase: Issued, Pending, Failed, RateLimited, ...
  std::string message;  // a sentence; on failure, the CA's own words
};
using CertificateStatusFn = std::function<CertificateCondition(const std::string& host)>;

struct ReconcilerOptions {
  // How long a started container may take to answer its health check before the preview fails.
  absl::Duration health_timeout = absl::Seconds(60);
  absl::Duration health_interval = absl::Milliseconds(250);
  // Where fetched trees live while they are built; "" = `<[state] dir>/work`.
  std::string work_dir;
  // The readiness check; null = the real HTTP probe.
  HealthProbe* probe = nullptr;
  DiffOptions diff;
  // While Docker cannot be listed, passes are retried from 1s, doubling up to this.
  absl::Duration docker_retry_max = absl::Seconds(30);
  // "https" when previews are served over TLS: their URLs then use it (and the port of the
  // `[proxy] listen` the reconciler is given, which is then the TLS listener's).
  std::string url_scheme = "http";
  // With ACME: the certificate state of a host, shown as the CertReady condition. Called on the
  // loop thread for every routed preview on every pass; must be cheap and thread-safe.
  CertificateStatusFn certificate_status;
};

class Reconciler {
 public:
  // Every pointer must outlive the Reconciler. `config` is copied.
  Reconciler(controller::DesiredStore* store, ContainerRuntime* runtime, SourceFetcher* fetcher,
             proxy::RoutePublisher* publisher, const controller::HostConfig& config,
             const base::Clock* clock, ReconcilerOptions options = {});
  ~Reconciler();

  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  // Starts the loop thread, the worker pool, and the store and Docker subscriptions. Fails
  // when the work directory cannot be created. Call once.
  absl::Status Start();

  // Stops the loop, cancels running jobs and waits for them. Idempotent.
  void Stop();

  // A reloaded host configuration. From the next pass, its resource limits, reconcile interval
  // and `[[repos]]` entries (clone URL, git token, access mode) apply; the rest is what the
  // Reconciler was made with. New limits change every preview's spec hash, so previews are
  // rebuilt with them. Thread-safe.
  void SetConfig(const controller::HostConfig& config);

  // Asks for a pass as soon as possible. Thread-safe, never blocks.
  void Wake();

  // False while the last pass could not list Docker; Problem() then says why, in words for
  // /readyz. Thread-safe.
  bool Healthy() const;
  std::string Problem() const;

  // Passes completed so far. Thread-safe.
  int64_t passes() const;

 private:
  // What the loop keeps about one preview. Loop thread only.
  struct Entry {
    controller::PreviewKey key;
    std::string key_text;  // key.ToString(), the prevu.key label
    CompactId key_id;      // key_text, as the diff compares it
    std::string label;     // HostNames::Label(key): the same for as long as the entry lives
    std::string url_host;  // the host that status.url was made from
    PreviewMemory memory;
    controller::PreviewStatus status;  // the authoritative copy; the store gets it when dirty
    bool dirty = false;
    int64_t hash_generation = -1;  // spec_hash was computed for this generation
    CompactId spec_hash;
    absl::Duration ttl = absl::Hours(24 * 7);
    std::shared_ptr<const controller::RepoConfig> config;  // of memory.image_hash
    std::shared_ptr<PreviewJob> job;
    uint64_t seen_pass = 0;  // the last pass whose store listing had this preview
    bool forget = false;     // forgotten in this pass; erased at its end
  };

  void Loop();
  void Pass();
  void ApplyReports(absl::Time now);
  void Apply(Entry& entry, const JobReport& report, absl::Time now);
  void Finish(Entry& entry, const JobReport& report, absl::Time now);
  bool RetryLater(Entry& entry, const JobReport& report, absl::Time now);
  std::vector<DesiredPreview> Describe(const std::vector<controller::Preview>& previews);
  void Execute(const Plan& plan, uint64_t pass, absl::Time now);
  void ExecuteOne(const Action& action, Entry* entry, uint64_t pass, absl::Time now,
                  bool* removal_failed);
  absl::Status CallDocker(const Action& action, Entry* entry);
  void RecordStatus(const Action& action, Entry& entry, absl::Time now);
  void StartJob(Entry& entry, const Action& action, absl::Time now);
  void Publish(const Plan& plan, const std::vector<DesiredPreview>& desired, absl::Time now);
  bool NoteRoute(Entry& entry, const std::string& host, bool ready, absl::Time now);
  bool NoteCertificate(Entry& entry, const std::string& host, absl::Time now);
  proxy::RouteAuth RouteAuthFor(const controller::PreviewKey& key) const;
  void TakeConfig();
  void WriteStatuses();
  void DropUnseen(uint64_t pass);
  void NoteListing(const absl::Status& listed);
  absl::Duration NextWait(const Plan& plan, absl::Time now) const;
  void PostReport(JobReport report);

  controller::DesiredStore* const store_;
  ContainerRuntime* const runtime_;
  controller::HostConfig config_;  // loop thread only, after Start()
  const base::Clock* const clock_;
  proxy::RoutePublisher* const publisher_;
  const ReconcilerOptions options_;
  RouteTableBuilder route_table_;  // loop thread only
  HttpHealthProbe http_probe_;
  JobContext job_context_;

  // Loop thread only.
  absl::node_hash_map<controller::PreviewKey, Entry> entries_;  // stable addresses
  std::vector<Entry*> described_;  // the entry of each preview of the current pass
  uint64_t pass_id_ = 0;
  int docker_failures_ = 0;
  absl::Duration next_wait_ = absl::ZeroDuration();

  mutable absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = true;
  std::optional<controller::HostConfig> next_config_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<JobReport> reports_ ABSL_GUARDED_BY(mu_);
  std::string problem_ ABSL_GUARDED_BY(mu_);
  int64_t passes_ ABSL_GUARDED_BY(mu_) = 0;

  std::unique_ptr<WorkerPool> pool_;
  uint64_t subscription_ = 0;
  std::unique_ptr<Subscription> watch_;
  std::thread thread_;
  bool started_ = false;
};

}  // namespace prevu::reconciler

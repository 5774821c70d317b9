// Keeps a certificate for every host name Prevu publishes: obtains one for each new name, renews
// it at two thirds of its lifetime (with jitter, so that certificates issued together do not all
// renew together), keeps it on disk and installs it into the TLS side. Failures back off per
// name, and new orders are rate-limited overall, so that a broken DNS record cannot exhaust a
// CA's limits. Names enter only through SetNames(), which the service calls with the names it
// published: nothing a client sends can make Prevu ask for a certificate.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/base/clock.h"
#include "controller/base/metrics.h"
#include "proxy/acme/certificate_files.h"
#include "proxy/acme/certificate_info.h"
#include "proxy/acme/certificate_issuer.h"
#include "proxy/tls/certificate_sink.h"

namespace prevu::proxy::acme {

// Defaults and their reasons:
// - max_orders_per_hour 30: a tenth of Let's Encrypt's 300 new orders per 3 hours, so that Prevu
//   never gets near it even with a few restarts, yet 30 new previews an hour get certificates.
// - first_backoff 5 min, doubling up to max_backoff 4 h: Let's Encrypt allows 5 failed
//   validations per name and hour; this makes at most 4 in the first hour and then one every
//   few hours while the DNS record stays broken.
// - renew_jitter 0.05: renewal at 2/3 of the lifetime plus or minus 5 % of it (3 days of a
//   90-day certificate).
struct CertificateManagerOptions {
  std::string state_dir;                   // certificates live in <state_dir>/certs/
  CertificateIssuer* issuer = nullptr;     // required; not owned
  proxy::CertificateSink* sink = nullptr;  // required; not owned
  const base::Clock* clock = base::Clock::Real();
  base::MetricsRegistry* registry = nullptr;  // optional

  int max_orders_per_hour = 30;
  absl::Duration first_backoff = absl::Minutes(5);
  absl::Duration max_backoff = absl::Hours(4);
  double renew_jitter = 0.05;
  uint64_t jitter_seed = 0;  // 0 = from std::random_device; tests fix it
};

// What the preview's CertReady condition shows for a name.
struct CertificateStatus {
  bool ready = false;  // an unexpired certificate for the name is installed
  // Issued, Pending, Failed, RateLimited, InvalidName or NotRequested.
  std::string reason;
  std::string message;  // for Failed, the issuer's error (a CA's own words)
  absl::Time not_after = absl::InfinitePast();
};

class CertificateManager {
 public:
  explicit CertificateManager(CertificateManagerOptions options);
  ~CertificateManager();  // Stop()

  CertificateManager(const CertificateManager&) = delete;
  CertificateManager& operator=(const CertificateManager&) = delete;

  // Installs every unexpired certificate on disk (keys readable by others are refused) and makes
  // the certificate directory (mode 0700). Call once, before anything else. Internal when the
  // directory cannot be made; a file that cannot be used is logged and skipped.
  absl::Status Load();

  // The names that must have certificates, replacing the previous set. Names are compared
  // without case and a final dot. A name left out is no longer renewed (its files stay). A name
  // that is not a DNS name Prevu can validate with HTTP-01 (a wildcard, say) is reported as
  // InvalidName and never ordered. Thread-safe; wakes the manager's thread.
  void SetNames(const std::vector<std::string>& names);

  // The state of `name`. Thread-safe.
  CertificateStatus Status(absl::string_view name) const;

  // Obtains or renews every certificate that is due, one order after the other, as far as the
  // rate limit allows, and returns when the next one will be due (InfiniteFuture when none).
  // Blocks while the issuer works. Called by the manager's thread after Start(), or directly by
  // a test with a FakeClock; never from two threads at once.
  absl::Time Tick();

  // Runs Tick() on a thread of its own, waking at the next due time or when SetNames() changes
  // something. Stop() cancels the issuer (for good: it is shutdown) when the thread runs, and
  // joins it; after Stop(), Tick() does nothing.
  void Start();
  void Stop();

  // New orders sent to the issuer, and how many of them failed. Thread-safe.
  uint64_t orders() const { return orders_->value(); }
  uint64_t failures() const { return failures_->value(); }

 private:
  struct Entry {
    bool wanted = false;
    std::string invalid;  // why the name cannot be ordered; empty when it can
    std::optional<CertificateInfo> certificate;  // the one installed
    absl::Time renew_at = absl::InfinitePast();
    absl::Time retry_at = absl::InfinitePast();  // back-off after failures
    int failures = 0;
    std::string last_error;
    bool rate_limited = false;
  };

  // The name to order next, counted against the rate limit; nothing when none is due or the
  // limit is reached (due names are then marked rate_limited).
  std::optional<std::string> TakeDue(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Time NextDue() const ABSL_LOCKS_EXCLUDED(mu_);
  void Obtain(const std::string& name) ABSL_LOCKS_EXCLUDED(mu_);

  // Checks, saves and installs a certificate; returns what it covers.
  absl::StatusOr<CertificateInfo> Keep(const std::string& name,
                                       const IssuedCertificate& certificate, bool save);
  void Record(const std::string& name, const absl::StatusOr<CertificateInfo>& result,
              absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Time RenewalTime(const CertificateInfo& info) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run();

  CertificateManagerOptions options_;
  CertificateFiles files_;
  base::Counter own_orders_;
  base::Counter own_failures_;
  base::Counter* orders_;
  base::Counter* failures_;
  base::Histogram* issue_seconds_ = nullptr;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::Time> recent_orders_ ABSL_GUARDED_BY(mu_);  // within the last hour
  std::mt19937_64 random_ ABSL_GUARDED_BY(mu_);
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::CondVar changed_;
  std::thread thread_;
};

}  // namespace prevu::proxy::acme

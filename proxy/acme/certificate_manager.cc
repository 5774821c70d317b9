// Certificate lifecycle; see certificate_manager.h.
#include "proxy/acme/certificate_manager.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "controller/base/log.h"
#include "proxy/acme/private_file.h"

namespace prevu::proxy::acme {
namespace {

constexpr absl::Duration kRateWindow = absl::Hours(1);
constexpr absl::Duration kLongestSleep = absl::Minutes(1);  // so clock jumps are noticed

std::string Canonical(absl::string_view name) {
  absl::ConsumeSuffix(&name, ".");
  return absl::AsciiStrToLower(name);
}

// Why `name` cannot get a certificate through HTTP-01, or "" when it can.
std::string InvalidReason(absl::string_view name) {
  if (absl::StartsWith(name, "*.")) {
    return "a wildcard name needs a DNS-01 challenge, which Prevu does not answer";
  }
  if (name.empty() || name.size() > 253) {
    return "a DNS name has 1 to 253 characters";
  }
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    bool letters = std::all_of(label.begin(), label.end(), [](char c) {
      return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
    });
    if (label.empty() || label.size() > 63 || !letters || label.front() == '-' ||
        label.back() == '-') {
      return absl::StrCat("`", label, "` is not a DNS label (letters, digits, inner hyphens)");
    }
  }
  return "";
}

bool Covers(const CertificateInfo& info, const std::string& name) {
  return std::any_of(info.names.begin(), info.names.end(),
                     [&](const std::string& covered) { return Canonical(covered) == name; });
}

}  // namespace

CertificateManager::CertificateManager(CertificateManagerOptions options)
    : options_(std::move(options)),
      files_(absl::StrCat(options_.state_dir, "/certs")),
      orders_(&own_orders_),
      failures_(&own_failures_),
      random_(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device()()) {
  if (options_.registry != nullptr) {
    orders_ = options_.registry->AddCounter("prevu_acme_orders_total",
                                            "Certificate orders sent to the ACME CA.");
    failures_ = options_.registry->AddCounter(
        "prevu_acme_order_failures_total", "Certificate orders that ended without a certificate.");
    issue_seconds_ = options_.registry->AddHistogram(
        "prevu_acme_issue_seconds", "Time to obtain a certificate, from order to chain.", "",
        {1, 2, 5, 10, 30, 60, 120, 300});
  }
}

CertificateManager::~CertificateManager() { Stop(); }

absl::Status CertificateManager::Load() {
  if (absl::Status made = MakePrivateDirectory(files_.dir()); !made.ok()) {
    return made;
  }
  absl::Time now = options_.clock->Now();
  for (const std::string& name : files_.Names()) {
    absl::StatusOr<IssuedCertificate> stored = files_.Load(name);
    absl::StatusOr<CertificateInfo> kept =
        stored.ok() ? InspectCertificate(stored->chain_pem) : stored.status();
    if (kept.ok() && kept->not_after <= now) {
      kept = absl::FailedPreconditionError("expired");
    }
    if (kept.ok()) {
      kept = Keep(name, *stored, /*save=*/false);
    }
    if (!kept.ok()) {
      log::Warn("certificate on disk not used")
          .With("name", name)
          .With("error", kept.status().message());
      continue;
    }
    absl::MutexLock lock(&mu_);
    Entry& entry = entries_[name];
    entry.certificate = *kept;
    entry.renew_at = RenewalTime(*kept);
    log::Info("certificate loaded from disk")
        .With("name", name)
        .With("not_after", absl::FormatTime(kept->not_after));
  }
  return absl::OkStatus();
}

void CertificateManager::SetNames(const std::vector<std::string>& names) {
  absl::MutexLock lock(&mu_);
  for (auto& [name, entry] : entries_) {
    entry.wanted = false;
  }
  for (const std::string& raw : names) {
    std::string name = Canonical(raw);
    Entry& entry = entries_[name];
    entry.wanted = true;
    entry.invalid = InvalidReason(name);
  }
  wake_ = true;
  changed_.SignalAll();
}

CertificateStatus CertificateManager::Status(absl::string_view raw) const {
  std::string name = Canonical(raw);
  absl::Time now = options_.clock->Now();
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(name);
  if (it == entries_.end() || !it->second.wanted) {
    return {false, "NotRequested", absl::StrCat("Prevu was not asked to serve ", name)};
  }
  const Entry& entry = it->second;
  if (!entry.invalid.empty()) {
    return {false, "InvalidName", absl::StrCat("no certificate for ", name, ": ", entry.invalid)};
  }
  std::string retry = absl::StrCat("; next attempt at ", absl::FormatTime(entry.retry_at));
  if (entry.certificate && entry.certificate->not_after > now) {
    std::string message =
        absl::StrCat("certificate valid until ", absl::FormatTime(entry.certificate->not_after));
    if (entry.failures > 0) {
      absl::StrAppend(&message, "; renewal failed: ", entry.last_error, retry);
    }
    return {true, "Issued", message, entry.certificate->not_after};
  }
  if (entry.failures > 0) {
    return {false, "Failed", absl::StrCat(entry.last_error, retry)};
  }
  if (entry.rate_limited) {
    return {false, "RateLimited",
            absl::StrCat("waiting: at most ", options_.max_orders_per_hour,
                         " certificate orders per hour")};
  }
  return {false, "Pending", absl::StrCat("requesting a certificate for ", name)};
}

absl::Time CertificateManager::Tick() {
  while (std::optional<std::string> name = TakeDue(options_.clock->Now())) {
    Obtain(*name);
  }
  return NextDue();
}

std::optional<std::string> CertificateManager::TakeDue(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    return std::nullopt;
  }

  // Names without a certificate go first, then the renewal due longest.
  std::vector<std::pair<absl::Time, const std::string*>> due;
  for (const auto& [name, entry] : entries_) {
    if (entry.wanted && entry.invalid.empty() && now >= entry.retry_at &&
        (!entry.certificate || now >= entry.renew_at)) {
      due.emplace_back(entry.certificate ? entry.renew_at : absl::InfinitePast(), &name);
    }
  }
  if (due.empty()) {
    return std::nullopt;
  }
  while (!recent_orders_.empty() && recent_orders_.front() <= now - kRateWindow) {
    recent_orders_.pop_front();
  }
  if (static_cast<int>(recent_orders_.size()) >= options_.max_orders_per_hour) {
    for (const auto& [when, name] : due) {
      entries_[*name].rate_limited = true;
    }
    return std::nullopt;
  }

  auto first = std::min_element(due.begin(), due.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : *a.second < *b.second;
  });
  std::string next = *first->second;
  recent_orders_.push_back(now);
  entries_[next].rate_limited = false;
  return next;
}

absl::Time CertificateManager::NextDue() const {
  absl::MutexLock lock(&mu_);
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [name, entry] : entries_) {
    if (!entry.wanted || !entry.invalid.empty()) {
      continue;
    }
    absl::Time due =
        std::max(entry.retry_at, entry.certificate ? entry.renew_at : absl::InfinitePast());
    if (entry.rate_limited && !recent_orders_.empty()) {
      due = std::max(due, recent_orders_.front() + kRateWindow);
    }
    next = std::min(next, due);
  }
  return next;
}

void CertificateManager::Obtain(const std::string& name) {
  absl::Time started = options_.clock->Now();
  orders_->Add();
  log::Info("certificate order started").With("name", name);
  absl::StatusOr<IssuedCertificate> issued = options_.issuer->Issue({name});
  absl::StatusOr<CertificateInfo> kept =
      issued.ok() ? Keep(name, *issued, /*save=*/true) : issued.status();
  absl::Time now = options_.clock->Now();
  if (kept.ok() && issue_seconds_ != nullptr) {
    issue_seconds_->Observe(absl::ToDoubleSeconds(now - started));
  }
  Record(name, kept, now);
}

absl::StatusOr<CertificateInfo> CertificateManager::Keep(const std::string& name,
                                                         const IssuedCertificate& certificate,
                                                         bool save) {
  absl::StatusOr<CertificateInfo> info = InspectCertificate(certificate.chain_pem);
  if (!info.ok()) {
    return info.status();
  }
  if (!Covers(*info, name)) {
    return absl::FailedPreconditionError(absl::StrCat("the certificate does not cover ", name));
  }
  if (save) {
    if (absl::Status saved = files_.Save(name, certificate); !saved.ok()) {
      return saved;
    }
  }
  if (absl::Status installed = options_.sink->Install(certificate.chain_pem, certificate.key_pem);
      !installed.ok()) {
    return installed;
  }
  return info;
}

void CertificateManager::Record(const std::string& name,
                                const absl::StatusOr<CertificateInfo>& result, absl::Time now) {
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[name];
  if (result.ok()) {
    entry.certificate = *result;
    entry.renew_at = RenewalTime(*result);
    entry.retry_at = absl::InfinitePast();
    entry.failures = 0;
    entry.last_error.clear();
    log::Info("certificate installed")
        .With("name", name)
        .With("not_after", absl::FormatTime(result->not_after))
        .With("renew_at", absl::FormatTime(entry.renew_at));
    return;
  }
  if (absl::IsCancelled(result.status())) {
    return;  // shutting down; not the name's fault
  }

  // Exponential back-off per name, or longer when the CA said how long.
  failures_->Add();
  entry.failures = std::min(entry.failures + 1, 30);
  absl::Duration wait =
      std::min(options_.first_backoff * (int64_t{1} << (entry.failures - 1)), options_.max_backoff);
  wait = std::max(wait, RetryAfterOf(result.status()).value_or(absl::ZeroDuration()));
  entry.retry_at = now + wait;
  entry.last_error = std::string(result.status().message());
  log::Warn("certificate order failed")
      .With("name", name)
      .With("failures", entry.failures)
      .With("retry_in", absl::FormatDuration(wait))
      .With("error", entry.last_error);
}

absl::Time CertificateManager::RenewalTime(const CertificateInfo& info) {
  absl::Duration lifetime = info.lifetime();
  std::uniform_real_distribution<double> spread(-options_.renew_jitter, options_.renew_jitter);
  absl::Duration offset = lifetime * 2 / 3 + lifetime * spread(random_);
  return info.not_before + absl::Floor(offset, absl::Seconds(1));  // whole seconds, for clocks
                                                                   // that count nanoseconds
}

void CertificateManager::Start() {
  absl::MutexLock lock(&mu_);
  if (!thread_.joinable() && !stopping_) {
    thread_ = std::thread([this] { Run(); });
  }
}

void CertificateManager::Run() {
  while (true) {
    absl::Time next = Tick();
    absl::MutexLock lock(&mu_);
    absl::Duration wait = std::min(next - options_.clock->Now(), kLongestSleep);
    if (!wake_ && !stopping_ && wait > absl::ZeroDuration()) {
      changed_.WaitWithTimeout(&mu_, wait);
    }
    wake_ = false;
    if (stopping_) {
      return;
    }
  }
}

void CertificateManager::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      return;
    }
    stopping_ = true;
    changed_.SignalAll();
  }
  if (thread_.joinable()) {
    options_.issuer->Cancel();
    thread_.join();
  }
}

}  // namespace prevu::proxy::acme

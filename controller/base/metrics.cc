// Prometheus text rendering of the registry; see metrics.h.
#include "controller/base/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace prevu::base {
namespace {

std::string WithLabels(absl::string_view name, absl::string_view labels,
                       absl::string_view extra = "") {
  if (labels.empty() && extra.empty()) {
    return std::string(name);
  }
  absl::string_view comma = (!labels.empty() && !extra.empty()) ? "," : "";
  return absl::StrCat(name, "{", labels, comma, extra, "}");
}

void RenderHistogram(absl::string_view name, absl::string_view labels, const Histogram& h,
                     std::string* out) {
  uint64_t cumulative = 0;
  const std::vector<double>& bounds = h.upper_bounds();
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += h.bucket(i);
    std::string le = i < bounds.size() ? absl::StrCat("le=\"", bounds[i], "\"") : "le=\"+Inf\"";
    absl::StrAppend(out, WithLabels(absl::StrCat(name, "_bucket"), labels, le), " ", cumulative,
                    "\n");
  }
  absl::StrAppend(out, WithLabels(absl::StrCat(name, "_sum"), labels), " ", h.sum(), "\n");
  absl::StrAppend(out, WithLabels(absl::StrCat(name, "_count"), labels), " ", h.count(), "\n");
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      buckets_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  std::sort(upper_bounds_.begin(), upper_bounds_.end());
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    buckets_[i].store(0, std::memory_order_relaxed);
  }
}

void Histogram::Observe(double value) {
  size_t i =
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<int64_t>(std::llround(value * 1e6)), std::memory_order_relaxed);
}

double Histogram::Quantile(double q) const {
  uint64_t total = count();
  if (total == 0) {
    return 0;
  }
  double rank = q * static_cast<double>(total);
  uint64_t seen = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    uint64_t in_bucket = bucket(i);
    if (static_cast<double>(seen + in_bucket) >= rank && in_bucket > 0) {
      double lower = i == 0 ? 0 : upper_bounds_[i - 1];
      if (i == upper_bounds_.size()) {
        return lower;  // beyond the last bound nothing better is known
      }
      double fraction = (rank - static_cast<double>(seen)) / static_cast<double>(in_bucket);
      return lower + (upper_bounds_[i] - lower) * fraction;
    }
    seen += in_bucket;
  }
  return upper_bounds_.empty() ? 0 : upper_bounds_.back();
}

std::vector<double> LatencyBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

MetricsRegistry::Entry* MetricsRegistry::AddEntry(Kind kind, absl::string_view name,
                                                  absl::string_view help,
                                                  absl::string_view labels) {
  Entry& e = entries_.emplace_back();
  e.kind = kind;
  e.name = std::string(name);
  e.help = std::string(help);
  e.labels = std::string(labels);
  return &e;
}

Counter* MetricsRegistry::AddCounter(absl::string_view name, absl::string_view help,
                                     absl::string_view labels) {
  absl::MutexLock lock(&mu_);
  return &AddEntry(Kind::kCounter, name, help, labels)->counter;
}

Gauge* MetricsRegistry::AddGauge(absl::string_view name, absl::string_view help,
                                 absl::string_view labels) {
  absl::MutexLock lock(&mu_);
  return &AddEntry(Kind::kGauge, name, help, labels)->gauge;
}

Histogram* MetricsRegistry::AddHistogram(absl::string_view name, absl::string_view help,
                                         absl::string_view labels,
                                         std::vector<double> upper_bounds) {
  absl::MutexLock lock(&mu_);
  Entry* e = AddEntry(Kind::kHistogram, name, help, labels);
  e->histogram = std::make_unique<Histogram>(std::move(upper_bounds));
  return e->histogram.get();
}

void MetricsRegistry::AddCollector(std::function<void(std::string*)> render) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(render));
}

std::string MetricsRegistry::Render() const {
  absl::MutexLock lock(&mu_);
  std::string out;

  // Group by name so each family gets exactly one HELP and TYPE line, in registration order.
  std::vector<const Entry*> order;
  for (const Entry& e : entries_) {
    order.push_back(&e);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const Entry* a, const Entry* b) { return a->name < b->name; });
  absl::string_view previous;
  for (const Entry* e : order) {
    if (e->name != previous) {
      absl::string_view type = e->kind == Kind::kCounter ? "counter"
                               : e->kind == Kind::kGauge ? "gauge"
                                                         : "histogram";
      absl::StrAppend(&out, "# HELP ", e->name, " ", e->help, "\n# TYPE ", e->name, " ", type,
                      "\n");
      previous = e->name;
    }
    switch (e->kind) {
      case Kind::kCounter:
        absl::StrAppend(&out, WithLabels(e->name, e->labels), " ", e->counter.value(), "\n");
        break;
      case Kind::kGauge:
        absl::StrAppend(&out, WithLabels(e->name, e->labels), " ", e->gauge.value(), "\n");
        break;
      case Kind::kHistogram:
        RenderHistogram(e->name, e->labels, *e->histogram, &out);
        break;
    }
  }

  for (const auto& render : collectors_) {
    render(&out);
  }
  return out;
}

}  // namespace prevu::base

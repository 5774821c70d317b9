// Counters, gauges and histograms rendered in the Prometheus text exposition format (0.0.4).
// Updating a metric is one relaxed atomic operation and takes no lock; registering one takes the
// registry's lock and happens at start-up.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace prevu::base {

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Cumulative buckets with fixed upper bounds, in the unit of the metric (seconds, by convention).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);

  void Observe(double value);

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  uint64_t bucket(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_micro_.load(std::memory_order_relaxed) / 1e6; }

  // The value below which `q` (0..1) of observations fall, interpolated within a bucket.
  double Quantile(double q) const;

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bucket, not cumulative; +Inf last
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> sum_micro_{0};  // sum in millionths, so it stays an atomic integer
};

// Latency buckets from 50 microseconds to 10 seconds.
std::vector<double> LatencyBuckets();

class MetricsRegistry {
 public:
  // `labels` is the inside of the braces, already escaped: `provider="github",result="accepted"`.
  // Metrics of one name share HELP and TYPE; pointers stay valid for the registry's lifetime.
  Counter* AddCounter(absl::string_view name, absl::string_view help,
                      absl::string_view labels = "");
  Gauge* AddGauge(absl::string_view name, absl::string_view help, absl::string_view labels = "");
  Histogram* AddHistogram(absl::string_view name, absl::string_view help, absl::string_view labels,
                          std::vector<double> upper_bounds);

  // For values computed when scraped (previews by phase, sums of per-thread counters): `render`
  // appends complete exposition lines, HELP and TYPE included, to `out`.
  void AddCollector(std::function<void(std::string* out)> render);

  std::string Render() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Entry {
    Kind kind;
    std::string name;
    std::string help;
    std::string labels;
    Counter counter;
    Gauge gauge;
    std::unique_ptr<Histogram> histogram;
  };

  Entry* AddEntry(Kind kind, absl::string_view name, absl::string_view help,
                  absl::string_view labels) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::deque<Entry> entries_ ABSL_GUARDED_BY(mu_);  // a deque keeps element addresses stable
  std::vector<std::function<void(std::string*)>> collectors_ ABSL_GUARDED_BY(mu_);
};

}  // namespace prevu::base

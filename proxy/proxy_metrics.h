// The proxy's counters and latency histograms. Each proxy thread writes only its own
// ThreadStats (plain relaxed loads and stores, no locked instruction, no shared cache line); a
// collector registered with the MetricsRegistry sums them when /metrics is scraped.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "controller/base/metrics.h"
#include "proxy/error_pages.h"

namespace prevu::proxy {

enum class UpstreamError {
  kRefused,          // connect failed: nothing listens, or the route's address is unreachable
  kConnectTimeout,   // connect took longer than upstream_connect_timeout
  kResponseTimeout,  // no complete response head within upstream_response_timeout
  kReset,            // the upstream closed or reset the connection mid-exchange
  kBadResponse,      // the response was not valid HTTP/1.1
  kUnresolved,       // the route's upstream host name did not resolve
  kCount,
};

enum class TlsFailure {
  kUnknownName,  // no certificate covers the name the client sent, or it sent none
  kTimeout,      // the handshake did not finish within header_timeout
  kRefused,      // anything else: an old protocol version, no common cipher, not TLS at all
  kCount,
};

// A counter written by one thread and read by any: no read-modify-write instruction needed.
class OwnedCounter {
 public:
  void Add(uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// One thread's share of the metrics. Written only by its thread.
struct alignas(64) ThreadStats {
  static constexpr int kClasses = 5;  // 1xx to 5xx

  void RecordRequest(int status, int64_t micros);

  std::array<OwnedCounter, kClasses> requests;
  std::array<OwnedCounter, kClasses> latency_sum_us;
  // latency[class][bucket]: bucket i counts values <= bounds[i]; the last counts the rest.
  std::array<std::array<OwnedCounter, 18>, kClasses> latency;
  std::array<OwnedCounter, ErrorPages::kStatuses.size()> local_replies;  // by ErrorPages::Index
  std::array<OwnedCounter, static_cast<int>(UpstreamError::kCount)> upstream_errors;
  OwnedCounter upstream_connects;  // new connections opened to upstreams
  OwnedCounter upstream_reuses;    // requests sent on a pooled connection
  OwnedCounter connections_opened;
  OwnedCounter connections_closed;
  OwnedCounter tls_handshakes;  // completed, resumed or not
  OwnedCounter tls_resumed;     // completed by resuming a session
  std::array<OwnedCounter, static_cast<int>(TlsFailure::kCount)> tls_failures;
  OwnedCounter https_redirects;  // plain requests answered 308 to https
  OwnedCounter acme_answers;     // HTTP-01 challenges answered with a key authorization
};

class ProxyMetrics {
 public:
  // `registry` may be null (tests that only read the totals); otherwise a collector is added.
  ProxyMetrics(int threads, base::MetricsRegistry* registry);

  ThreadStats& thread(int i) { return *threads_[i]; }

  // Sums over threads, for tests and for the collector.
  uint64_t Requests(int status_class) const;  // 1 to 5
  uint64_t LocalReplies(int status) const;
  uint64_t UpstreamErrors(UpstreamError kind) const;
  uint64_t UpstreamConnects() const;
  uint64_t UpstreamReuses() const;
  int64_t ActiveConnections() const;
  uint64_t TlsHandshakes() const;
  uint64_t TlsResumed() const;
  uint64_t TlsFailures(TlsFailure kind) const;
  uint64_t HttpsRedirects() const;
  uint64_t AcmeAnswers() const;

  // Appends the Prometheus text of every proxy metric to `out`.
  void Render(std::string* out) const;

 private:
  template <typename Fn>
  uint64_t Sum(Fn fn) const;
  void RenderTls(std::string* out) const;

  std::vector<std::unique_ptr<ThreadStats>> threads_;
};

// The bucket bounds of prevu_proxy_request_seconds, in microseconds.
const std::array<int64_t, 17>& LatencyBoundsMicros();

}  // namespace prevu::proxy

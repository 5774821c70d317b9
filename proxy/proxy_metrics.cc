// The proxy's metrics; see proxy_metrics.h.
#include "proxy/proxy_metrics.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace prevu::proxy {
namespace {

constexpr const char* kUpstreamErrorNames[] = {"refused", "connect_timeout", "response_timeout",
                                               "reset",   "bad_response",    "unresolved"};

constexpr const char* kTlsFailureNames[] = {"unknown_name", "timeout", "refused"};

std::string FormatSeconds(int64_t micros) { return absl::StrCat(micros / 1e6); }

}  // namespace

const std::array<int64_t, 17>& LatencyBoundsMicros() {
  static const std::array<int64_t, 17> bounds = [] {
    std::array<int64_t, 17> micros{};
    std::vector<double> seconds = base::LatencyBuckets();
    for (size_t i = 0; i < micros.size() && i < seconds.size(); ++i) {
      micros[i] = static_cast<int64_t>(seconds[i] * 1e6 + 0.5);
    }
    return micros;
  }();
  return bounds;
}

void ThreadStats::RecordRequest(int status, int64_t micros) {
  int cls = std::clamp(status / 100, 1, 5) - 1;
  requests[cls].Add();
  latency_sum_us[cls].Add(static_cast<uint64_t>(std::max<int64_t>(micros, 0)));
  const std::array<int64_t, 17>& bounds = LatencyBoundsMicros();
  size_t bucket = std::lower_bound(bounds.begin(), bounds.end(), micros) - bounds.begin();
  latency[cls][bucket].Add();
}

ProxyMetrics::ProxyMetrics(int threads, base::MetricsRegistry* registry) {
  for (int i = 0; i < threads; ++i) {
    threads_.push_back(std::make_unique<ThreadStats>());
  }
  if (registry != nullptr) {
    registry->AddCollector([this](std::string* out) { Render(out); });
  }
}

template <typename Fn>
uint64_t ProxyMetrics::Sum(Fn fn) const {
  uint64_t total = 0;
  for (const auto& stats : threads_) {
    total += fn(*stats);
  }
  return total;
}

uint64_t ProxyMetrics::Requests(int status_class) const {
  return Sum([&](const ThreadStats& s) { return s.requests[status_class - 1].value(); });
}

uint64_t ProxyMetrics::LocalReplies(int status) const {
  size_t i = ErrorPages::Index(status);
  return Sum([&](const ThreadStats& s) { return s.local_replies[i].value(); });
}

uint64_t ProxyMetrics::UpstreamErrors(UpstreamError kind) const {
  int i = static_cast<int>(kind);
  return Sum([&](const ThreadStats& s) { return s.upstream_errors[i].value(); });
}

uint64_t ProxyMetrics::UpstreamConnects() const {
  return Sum([](const ThreadStats& s) { return s.upstream_connects.value(); });
}

uint64_t ProxyMetrics::UpstreamReuses() const {
  return Sum([](const ThreadStats& s) { return s.upstream_reuses.value(); });
}

int64_t ProxyMetrics::ActiveConnections() const {
  uint64_t opened = Sum([](const ThreadStats& s) { return s.connections_opened.value(); });
  uint64_t closed = Sum([](const ThreadStats& s) { return s.connections_closed.value(); });
  return static_cast<int64_t>(opened - closed);
}

uint64_t ProxyMetrics::TlsHandshakes() const {
  return Sum([](const ThreadStats& s) { return s.tls_handshakes.value(); });
}

uint64_t ProxyMetrics::TlsResumed() const {
  return Sum([](const ThreadStats& s) { return s.tls_resumed.value(); });
}

uint64_t ProxyMetrics::TlsFailures(TlsFailure kind) const {
  int i = static_cast<int>(kind);
  return Sum([&](const ThreadStats& s) { return s.tls_failures[i].value(); });
}

uint64_t ProxyMetrics::HttpsRedirects() const {
  return Sum([](const ThreadStats& s) { return s.https_redirects.value(); });
}

uint64_t ProxyMetrics::AcmeAnswers() const {
  return Sum([](const ThreadStats& s) { return s.acme_answers.value(); });
}

void ProxyMetrics::Render(std::string* out) const {
  out->append(
      "# HELP prevu_proxy_requests_total Requests answered by the proxy, by status class.\n"
      "# TYPE prevu_proxy_requests_total counter\n");
  for (int cls = 1; cls <= ThreadStats::kClasses; ++cls) {
    absl::StrAppend(out, "prevu_proxy_requests_total{code=\"", cls, "xx\"} ", Requests(cls), "\n");
  }

  out->append(
      "# HELP prevu_proxy_request_seconds Time from a request's head to the end of its response.\n"
      "# TYPE prevu_proxy_request_seconds histogram\n");
  const std::array<int64_t, 17>& bounds = LatencyBoundsMicros();
  for (int cls = 0; cls < ThreadStats::kClasses; ++cls) {
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= bounds.size(); ++b) {
      cumulative += Sum([&](const ThreadStats& s) { return s.latency[cls][b].value(); });
      std::string le = b < bounds.size() ? FormatSeconds(bounds[b]) : "+Inf";
      absl::StrAppend(out, "prevu_proxy_request_seconds_bucket{code=\"", cls + 1, "xx\",le=\"", le,
                      "\"} ", cumulative, "\n");
    }
    uint64_t sum = Sum([&](const ThreadStats& s) { return s.latency_sum_us[cls].value(); });
    absl::StrAppend(out, "prevu_proxy_request_seconds_sum{code=\"", cls + 1, "xx\"} ",
                    FormatSeconds(static_cast<int64_t>(sum)), "\n",
                    "prevu_proxy_request_seconds_count{code=\"", cls + 1, "xx\"} ",
                    Requests(cls + 1), "\n");
  }

  out->append(
      "# HELP prevu_proxy_local_replies_total Responses the proxy wrote itself, by status.\n"
      "# TYPE prevu_proxy_local_replies_total counter\n");
  for (int status : ErrorPages::kStatuses) {
    absl::StrAppend(out, "prevu_proxy_local_replies_total{code=\"", status, "\"} ",
                    LocalReplies(status), "\n");
  }

  out->append(
      "# HELP prevu_proxy_upstream_errors_total Failed exchanges with upstreams, by kind.\n"
      "# TYPE prevu_proxy_upstream_errors_total counter\n");
  for (int kind = 0; kind < static_cast<int>(UpstreamError::kCount); ++kind) {
    absl::StrAppend(out, "prevu_proxy_upstream_errors_total{kind=\"", kUpstreamErrorNames[kind],
                    "\"} ", UpstreamErrors(static_cast<UpstreamError>(kind)), "\n");
  }

  absl::StrAppend(out,
                  "# HELP prevu_proxy_upstream_connections_total Connections opened to upstreams.\n"
                  "# TYPE prevu_proxy_upstream_connections_total counter\n"
                  "prevu_proxy_upstream_connections_total ",
                  UpstreamConnects(), "\n",
                  "# HELP prevu_proxy_active_connections Client connections open now.\n"
                  "# TYPE prevu_proxy_active_connections gauge\n"
                  "prevu_proxy_active_connections ",
                  ActiveConnections(), "\n");
  RenderTls(out);
}

void ProxyMetrics::RenderTls(std::string* out) const {
  absl::StrAppend(out,
                  "# HELP prevu_proxy_tls_handshakes_total TLS handshakes completed.\n"
                  "# TYPE prevu_proxy_tls_handshakes_total counter\n"
                  "prevu_proxy_tls_handshakes_total ",
                  TlsHandshakes(), "\n",
                  "# HELP prevu_proxy_tls_resumed_total TLS handshakes that resumed a session.\n"
                  "# TYPE prevu_proxy_tls_resumed_total counter\n"
                  "prevu_proxy_tls_resumed_total ",
                  TlsResumed(), "\n");
  out->append(
      "# HELP prevu_proxy_tls_handshake_failures_total TLS handshakes that failed, by reason.\n"
      "# TYPE prevu_proxy_tls_handshake_failures_total counter\n");
  for (int kind = 0; kind < static_cast<int>(TlsFailure::kCount); ++kind) {
    absl::StrAppend(out, "prevu_proxy_tls_handshake_failures_total{reason=\"",
                    kTlsFailureNames[kind], "\"} ", TlsFailures(static_cast<TlsFailure>(kind)),
                    "\n");
  }
  absl::StrAppend(
      out,
      "# HELP prevu_proxy_https_redirects_total Plain HTTP requests redirected to HTTPS.\n"
      "# TYPE prevu_proxy_https_redirects_total counter\n"
      "prevu_proxy_https_redirects_total ",
      HttpsRedirects(), "\n",
      "# HELP prevu_proxy_acme_challenge_answers_total ACME HTTP-01 challenges answered.\n"
      "# TYPE prevu_proxy_acme_challenge_answers_total counter\n"
      "prevu_proxy_acme_challenge_answers_total ",
      AcmeAnswers(), "\n");
}

}  // namespace prevu::proxy

// Webhook acknowledgement benchmark: the real HTTP server, the real ApiService and the real
// durable store in a temporary directory, fed signed GitHub pull_request deliveries (the ~28 KB
// octokit example) over keep-alive connections. Every delivery carries a new head SHA and a new
// delivery id, so each one is a real journal write synced to disk before its 202.
//
//   webhook_bench [--deliveries N] [--connections C] [--server-threads T] 2>/dev/null
//
// Prints p50, p99 and max acknowledgement latency (request sent to answer read, on the client)
// and deliveries per second. The server logs one line per delivery to stderr, as in production.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "api/api_service.h"
#include "api/http_server.h"
#include "controller/config/config_holder.h"
#include "controller/desired_store.h"
#include "tests/api/http_test_client.h"
#include "tests/api/webhook_test_util.h"

namespace prevu::api {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kSecret[] = "webhook-bench-secret";
constexpr char kFixtureSha[] = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

struct Options {
  int deliveries = 10'000;
  int connections = 8;
  // Handlers block while the store syncs; as many threads as connections let every delivery
  // in flight join the same sync.
  int server_threads = 8;
};

bool ParseOptions(int argc, char** argv, Options* options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int* target = flag == "--deliveries"       ? &options->deliveries
                  : flag == "--connections"    ? &options->connections
                  : flag == "--server-threads" ? &options->server_threads
                                               : nullptr;
    if (target == nullptr || !absl::SimpleAtoi(argv[i + 1], target) || *target < 1) {
      return false;
    }
  }
  return argc % 2 == 1;
}

// A payload of the same size as the fixture whose head SHA is unique to `n`.
std::string PayloadFor(const std::string& fixture, int n) {
  std::string sha = absl::StrCat(absl::Hex(n, absl::kZeroPad8), std::string(32, 'b'));
  return absl::StrReplaceAll(fixture, {{kFixtureSha, sha}});
}

// Sends deliveries first, first + stride, ... on one keep-alive connection; records latencies.
void RunConnection(uint16_t port, const std::string& fixture, int first, int stride, int total,
                   std::vector<double>* latencies_us, int* failures) {
  absl::StatusOr<testing::HttpTestClient> client = testing::HttpTestClient::Connect(port);
  if (!client.ok()) {
    ++*failures;
    return;
  }
  for (int n = first; n < total; n += stride) {
    std::string body = PayloadFor(fixture, n);
    testing::Headers headers =
        testing::GitHubHeaders(kSecret, "pull_request", absl::StrCat("bench-", n), body);

    Clock::time_point start = Clock::now();
    absl::StatusOr<testing::ClientResponse> response =
        client->Request("POST", "/hooks/github", headers, body);
    Clock::time_point end = Clock::now();

    if (!response.ok() || response->status != 202) {
      ++*failures;
      continue;
    }
    latencies_us->push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
}

double Percentile(const std::vector<double>& sorted, double q) {
  size_t index = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

int Run(const Options& options) {
  std::string pattern = (std::filesystem::temp_directory_path() / "prevu-webhook-bench-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::fprintf(stderr, "cannot make a temporary directory\n");
    return 1;
  }
  std::string fixture = testing::ReadFileOrDie(std::string(PREVU_WEBHOOK_FIXTURES) +
                                               "/github/pull_request.opened.payload.json");

  base::MetricsRegistry metrics;
  controller::HostConfig config;
  config.github.webhook_secret = controller::Secret(kSecret);
  absl::StatusOr<std::unique_ptr<controller::DesiredStore>> store =
      controller::OpenDesiredStore(pattern, base::Clock::Real(), {.metrics = &metrics});
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  controller::ConfigHolder holder(config);
  ApiService service(&holder, store->get(), &metrics, base::Clock::Real(), nullptr);
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start({.listen = "127.0.0.1:0", .threads = options.server_threads}, &service);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", std::string(server.status().message()).c_str());
    return 1;
  }

  std::vector<std::vector<double>> latencies(options.connections);
  std::vector<int> failures(options.connections, 0);
  std::vector<std::thread> clients;
  Clock::time_point start = Clock::now();
  for (int c = 0; c < options.connections; ++c) {
    clients.emplace_back(RunConnection, (*server)->port(), std::cref(fixture), c,
                         options.connections, options.deliveries, &latencies[c], &failures[c]);
  }
  for (std::thread& client : clients) {
    client.join();
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  (*server)->Stop();

  std::vector<double> all;
  int failed = 0;
  for (int c = 0; c < options.connections; ++c) {
    all.insert(all.end(), latencies[c].begin(), latencies[c].end());
    failed += failures[c];
  }
  std::sort(all.begin(), all.end());
  std::error_code ignored;
  std::filesystem::remove_all(pattern, ignored);
  if (all.empty()) {
    std::fprintf(stderr, "no delivery was accepted\n");
    return 1;
  }

  std::printf(
      "webhook_bench: %zu deliveries of %zu bytes accepted (%d failed), %d connections, "
      "%d server threads\n",
      all.size(), fixture.size(), failed, options.connections, options.server_threads);
  std::printf("  ack latency   p50 %.0f us   p99 %.0f us   max %.0f us\n", Percentile(all, 0.50),
              Percentile(all, 0.99), all.back());
  std::printf("  throughput    %.0f deliveries/s (%.2f s)\n", all.size() / seconds, seconds);
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace prevu::api

int main(int argc, char** argv) {
  prevu::api::Options options;
  if (!prevu::api::ParseOptions(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: webhook_bench [--deliveries N] [--connections C] [--server-threads T]\n");
    return 2;
  }
  return prevu::api::Run(options);
}

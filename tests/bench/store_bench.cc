// Measures the durable desired store: upserts per second and the latency of one upsert from call
// to durable (fdatasync included), for 1, 4 and 16 concurrent writers sharing group commits.
// Run from a build directory; it writes under $TMPDIR (or /tmp) and removes what it wrote.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controller/base/log.h"
#include "controller/desired_store.h"

namespace prevu::controller {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kWritesPerRun = 8000;

struct Figures {
  double per_second;
  double p50_us;
  double p99_us;
};

double Percentile(std::vector<double>& sorted, double q) {
  return sorted[static_cast<size_t>(q * static_cast<double>(sorted.size() - 1))];
}

// Each writer upserts its own keys, each with a new head SHA, as a stream of pushes would.
Figures Run(DesiredStore& store, int writers) {
  int per_writer = kWritesPerRun / writers;
  std::vector<std::vector<double>> latencies(writers);
  SteadyClock::time_point start = SteadyClock::now();

  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      latencies[w].reserve(per_writer);
      for (int i = 0; i < per_writer; ++i) {
        PreviewKey key{Provider::kGitHub, "acme/shop", w * 1'000'000 + i % 500 + 1};
        SpecUpdate update{"https://github.com/acme/shop.git",
                          absl::StrCat("sha-", w, "-", i),
                          "feature/checkout",
                          "main",
                          "Rework the checkout flow",
                          "alice"};
        SteadyClock::time_point before = SteadyClock::now();
        if (!store.Upsert(key, update).ok()) {
          std::fprintf(stderr, "upsert failed\n");
          std::exit(1);
        }
        latencies[w].push_back(
            std::chrono::duration<double, std::micro>(SteadyClock::now() - before).count());
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();

  std::vector<double> all;
  for (const std::vector<double>& some : latencies) {
    all.insert(all.end(), some.begin(), some.end());
  }
  std::sort(all.begin(), all.end());
  return Figures{static_cast<double>(all.size()) / seconds, Percentile(all, 0.50),
                 Percentile(all, 0.99)};
}

int Main() {
  log::SetLevel(log::Level::kWarn);
  const char* tmp = std::getenv("TMPDIR");
  std::string root = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/prevu_store_bench_", ::getpid());

  std::printf("store_bench: %d upserts per run, each fdatasync'ed before it returns\n",
              kWritesPerRun);
  for (int writers : {1, 4, 16}) {
    std::string dir = absl::StrCat(root, "/", writers);
    absl::StatusOr<std::unique_ptr<DesiredStore>> store =
        OpenDesiredStore(dir, base::Clock::Real());
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    Figures figures = Run(**store, writers);
    std::printf("writers=%-2d upserts_per_second=%.0f p50_us=%.0f p99_us=%.0f\n", writers,
                figures.per_second, figures.p50_us, figures.p99_us);
  }
  std::filesystem::remove_all(root);
  return 0;
}

}  // namespace
}  // namespace prevu::controller

int main() { return prevu::controller::Main(); }

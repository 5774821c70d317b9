// Route lookup cost at 10 and at 100,000 routes: the per-request price of routing, which must not
// grow with the number of previews. Prints CPU nanoseconds per lookup for hits and misses.
#include <time.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "proxy/route_store.h"

namespace {

std::vector<prevu::proxy::Route> MakeRoutes(int n) {
  std::vector<prevu::proxy::Route> routes;
  routes.reserve(n);
  for (int i = 0; i < n; ++i) {
    prevu::proxy::Route route;
    route.host = absl::StrCat("pr-", i, "-shop.preview.example.com");
    route.ready = true;
    route.upstream_host = "10.0.0.1";
    route.upstream_port = 3000;
    routes.push_back(std::move(route));
  }
  return routes;
}

// CPU time of this thread, in nanoseconds: unlike wall time, it does not count the time other
// processes on a busy machine take the core away.
double ThreadCpuNanos() {
  timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e9 + static_cast<double>(now.tv_nsec);
}

// Looks up `hosts` round-robin `iterations` times through a RouteReader, as a proxy thread does.
double NanosPerLookup(prevu::proxy::RouteReader& reader, const std::vector<std::string>& hosts,
                      int iterations, int* found) {
  double start = ThreadCpuNanos();
  int hits = 0;
  for (int i = 0; i < iterations; ++i) {
    hits += reader.Get().Lookup(hosts[i % hosts.size()]) != nullptr;
  }
  *found = hits;
  return (ThreadCpuNanos() - start) / iterations;
}

}  // namespace

int main() {
  constexpr int kIterations = 5'000'000;
  std::printf("%-10s %-14s %-14s\n", "routes", "hit ns/lookup", "miss ns/lookup");
  for (int size : {10, 100'000}) {
    prevu::proxy::RouteStore store;
    store.Publish(MakeRoutes(size));
    prevu::proxy::RouteReader reader(&store);

    // Mixed case and a port, as browsers send them; spread over the table.
    std::vector<std::string> hits;
    std::vector<std::string> misses;
    for (int i = 0; i < 1024; ++i) {
      int n = static_cast<int>((static_cast<int64_t>(i) * 7919) % size);
      hits.push_back(absl::StrCat("PR-", n, "-Shop.preview.example.com:8080"));
      misses.push_back(absl::StrCat("pr-", n, "-nope.preview.example.com"));
    }
    int found_hits = 0;
    int found_misses = 0;
    double hit = NanosPerLookup(reader, hits, kIterations, &found_hits);
    double miss = NanosPerLookup(reader, misses, kIterations, &found_misses);
    std::printf("%-10d %-14.1f %-14.1f (found %d of %d, %d false hits)\n", size, hit, miss,
                found_hits, kIterations, found_misses);
  }
  return 0;
}

// Benchmark of one reconcile pass without Docker: describing the desired previews (key text and
// cached spec hash), the pure diff against a listing where every preview runs, and planning the
// route table (RouteTableBuilder, as the loop does). Prints the time per pass at 100, 1,000 and
// 10,000 previews: in a steady state, with a tenth of the previews pushed (rebuilds planned), and
// with one route moving before every pass (the whole table built anew each time).
#include <time.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "proxy/route_publisher.h"
#include "reconciler/diff.h"
#include "reconciler/host_names.h"
#include "reconciler/route_table_builder.h"
#include "reconciler/spec_hash.h"

namespace prevu::reconciler {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

std::string DockerId(absl::string_view kind, int i) {
  return ShortDigest(absl::StrCat(kind, "/", i), 32);
}

// N previews spread over repositories, each with a running, ready container, its network and
// image; `pushed_every` > 0 gives every such preview a new spec hash (a rebuild is planned).
struct World {
  std::vector<controller::Preview> previews;
  std::vector<CompactId> hashes;  // the loop keeps each spec hash as a CompactId
  std::vector<PreviewMemory> memories;
  std::vector<CompactId> keys;      // the loop keeps each key with its memory,
  std::vector<std::string> labels;  // and its host label
  ActualState actual;

  World(int n, int pushed_every, const HostNames& names) {
    controller::ResourceLimits limits;
    previews.resize(n);
    memories.resize(n);
    for (int i = 0; i < n; ++i) {
      controller::Preview& p = previews[i];
      p.key = {controller::Provider::kGitHub, absl::StrCat("acme/service-", i % 97), i + 1};
      p.spec.clone_url = absl::StrCat("https://example.com/", p.key.repo, ".git");
      p.spec.head_sha = absl::StrCat("0123456789abcdef", i);
      p.spec.generation = 1;
      p.spec.updated_at = kNow - absl::Hours(1);
      std::string hash = SpecHash(p.key, p.spec, limits);
      std::string key = p.key.ToString();
      keys.push_back(key);
      labels.push_back(names.Label(p.key));
      // Identifiers as long as Docker's: 64 hexadecimal digits, "sha256:" before image ids.
      std::string id = DockerId("container", i);
      std::string image = "sha256:" + DockerId("image", i);
      std::string network = "prevu-" + key;
      ActualContainer& c = actual.containers.emplace_back();
      c.id = id;
      c.name = "prevu-" + id.substr(0, 12);
      c.key = key;
      c.spec_hash = hash;
      c.image_id = image;
      c.running = true;
      c.started_at = kNow - absl::Hours(1);
      c.network = network;
      c.upstream_host = "127.0.0.1";
      c.upstream_port = static_cast<uint16_t>(20000 + i % 40000);
      actual.networks.push_back(ActualNetwork{DockerId("network", i), network, key});
      actual.images.push_back(ActualImage{image, {}, key, hash});
      memories[i].ready_container = id;
      p.status.phase = controller::Phase::kReady;
      p.status.container_id = id;
      p.status.observed_generation = 1;
      bool pushed = pushed_every > 0 && i % pushed_every == 0;
      hashes.push_back(pushed ? "new-" + hash : hash);
    }
  }
};

struct Result {
  size_t actions = 0;
  size_t routes = 0;
  bool rebuilt = false;  // the route table changed, so it was built anew
};

// One pass as the loop makes it, minus the store and Docker calls.
Result Pass(const World& world, RouteTableBuilder& table) {
  std::vector<DesiredPreview> desired;
  desired.reserve(world.previews.size());
  for (size_t i = 0; i < world.previews.size(); ++i) {
    desired.push_back(DesiredPreview{&world.previews[i], &world.keys[i], &world.hashes[i],
                                     absl::Hours(24 * 7), &world.memories[i]});
  }
  Plan plan = Diff(desired, &world.actual, kNow);

  std::vector<RouteTableBuilder::Target> targets;
  targets.reserve(plan.routes.size());
  for (const RouteTarget& t : plan.routes) {
    targets.push_back(RouteTableBuilder::Target{&world.previews[t.preview].key,
                                                &world.keys[t.preview], world.labels[t.preview],
                                                t.ready, t.upstream_host, t.upstream_port});
  }
  std::optional<std::vector<proxy::Route>> routes = table.Update(targets);
  return Result{plan.actions.size(), plan.routes.size(), routes.has_value()};
}

// CPU time of this thread: the machine is shared, so wall time would measure the neighbours.
double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// `moving`: before each pass one container gets a new published port, so the route table
// changes and is built anew every pass (the most a pass can cost at this size).
void Measure(int n, int pushed_every, bool moving, const char* scenario) {
  controller::ProxyConfig proxy;
  proxy.domain = "preview.example.com";
  RouteTableBuilder table{HostNames(proxy)};
  World world(n, pushed_every, table.names());

  Result result = Pass(world, table);  // warm-up; builds the first table
  int passes = 0;
  int rebuilt = 0;
  auto start = std::chrono::steady_clock::now();
  double cpu_start = ThreadSeconds();
  std::chrono::duration<double> elapsed{};
  double best = 1e9;  // the fastest pass: the least disturbed by the machine's neighbours
  while (elapsed < std::chrono::milliseconds(400) || passes < 5) {
    if (moving) {
      world.actual.containers[passes % n].upstream_port ^= 1;
    }
    double pass_start = ThreadSeconds();
    result = Pass(world, table);
    best = std::min(best, ThreadSeconds() - pass_start);
    ++passes;
    rebuilt += result.rebuilt ? 1 : 0;
    elapsed = std::chrono::steady_clock::now() - start;
  }

  double us_per_pass = (ThreadSeconds() - cpu_start) * 1e6 / passes;
  double wall_us_per_pass = elapsed.count() * 1e6 / passes;
  std::printf(
      "%-8s previews=%-6d passes=%-6d cpu_us_per_pass=%-9.1f ns_per_preview=%-7.0f "
      "best_us=%-9.1f wall_us_per_pass=%-9.1f actions=%zu routes=%zu tables_built=%d\n",
      scenario, n, passes, us_per_pass, us_per_pass * 1000 / n, best * 1e6, wall_us_per_pass,
      result.actions, result.routes, rebuilt);
}

}  // namespace
}  // namespace prevu::reconciler

// reconcile_bench [PREVIEWS...] [steady|pushed|moving]: the sizes to measure (100, 1,000 and
// 10,000 by default) and one scenario alone (all three by default); a profiler wants one of each.
int main(int argc, char** argv) {
  std::vector<int> sizes;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (std::isdigit(static_cast<unsigned char>(argv[i][0]))) {
      sizes.push_back(std::atoi(argv[i]));
    } else {
      only = argv[i];
    }
  }
  if (sizes.empty()) {
    sizes = {100, 1000, 10000};
  }
  struct Scenario {
    const char* name;
    int pushed_every;
    bool moving;
  };
  for (const Scenario& scenario :
       {Scenario{"steady", 0, false}, Scenario{"pushed", 10, false}, Scenario{"moving", 0, true}}) {
    if (!only.empty() && only != scenario.name) {
      continue;
    }
    for (int n : sizes) {
      prevu::reconciler::Measure(n, scenario.pushed_every, scenario.moving, scenario.name);
    }
  }
  return 0;
}

// Benchmark of one reconcile pass without Docker: describing the desired previews (key text and
// cached spec hash), the pure diff against a listing where every preview runs, and planning the
// routes (host names for all open previews). Prints the time per pass at 100, 1,000 and 10,000
// previews, for a steady state and for one where a tenth of the previews got a new push.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "proxy/route_publisher.h"
#include "reconciler/diff.h"
#include "reconciler/host_names.h"
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
  std::vector<std::string> hashes;
  std::vector<PreviewMemory> memories;
  std::vector<std::string> keys;    // the loop keeps each key's text with its memory,
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
      actual.containers.push_back(ActualContainer{
          id, "prevu-" + id.substr(0, 12), key, hash, image, true, 0, kNow - absl::Hours(1),
          absl::InfinitePast(), network, "127.0.0.1", static_cast<uint16_t>(20000 + i % 40000)});
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
};

// One pass as the loop makes it, minus the store and Docker calls.
Result Pass(const World& world, const HostNames& names) {
  std::vector<DesiredPreview> desired;
  desired.reserve(world.previews.size());
  for (size_t i = 0; i < world.previews.size(); ++i) {
    desired.push_back(DesiredPreview{&world.previews[i], world.keys[i], world.hashes[i],
                                     absl::Hours(24 * 7), &world.memories[i]});
  }
  Plan plan = Diff(desired, &world.actual, kNow);

  std::vector<const controller::PreviewKey*> keys;
  std::vector<absl::string_view> labels;
  keys.reserve(plan.routes.size());
  labels.reserve(plan.routes.size());
  for (const RouteTarget& target : plan.routes) {
    keys.push_back(&world.previews[target.preview].key);
    labels.push_back(world.labels[target.preview]);
  }
  std::vector<std::string> hosts = names.Assign(keys, labels);
  std::vector<proxy::Route> routes;
  routes.reserve(hosts.size());
  for (size_t i = 0; i < hosts.size(); ++i) {
    const RouteTarget& t = plan.routes[i];
    routes.push_back(
        proxy::Route{std::move(hosts[i]), t.ready, std::string(t.upstream_host), t.upstream_port});
  }
  return Result{plan.actions.size(), routes.size()};
}

// CPU time of this thread: the machine is shared, so wall time would measure the neighbours.
double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void Measure(int n, int pushed_every, const char* scenario) {
  controller::ProxyConfig proxy;
  proxy.domain = "preview.example.com";
  HostNames names(proxy);
  World world(n, pushed_every, names);

  Result result = Pass(world, names);  // warm-up
  int passes = 0;
  auto start = std::chrono::steady_clock::now();
  double cpu_start = ThreadSeconds();
  std::chrono::duration<double> elapsed{};
  while (elapsed < std::chrono::milliseconds(400) || passes < 5) {
    result = Pass(world, names);
    ++passes;
    elapsed = std::chrono::steady_clock::now() - start;
  }

  double us_per_pass = (ThreadSeconds() - cpu_start) * 1e6 / passes;
  double wall_us_per_pass = elapsed.count() * 1e6 / passes;
  std::printf(
      "%-8s previews=%-6d passes=%-6d cpu_us_per_pass=%-9.1f ns_per_preview=%-7.0f "
      "wall_us_per_pass=%-9.1f actions=%zu routes=%zu\n",
      scenario, n, passes, us_per_pass, us_per_pass * 1000 / n, wall_us_per_pass, result.actions,
      result.routes);
}

}  // namespace
}  // namespace prevu::reconciler

// reconcile_bench [PREVIEWS...]: the sizes to measure, 100, 1,000 and 10,000 by default (one
// size alone is what a profiler wants).
int main(int argc, char** argv) {
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) {
    sizes.push_back(std::atoi(argv[i]));
  }
  if (sizes.empty()) {
    sizes = {100, 1000, 10000};
  }
  for (int n : sizes) {
    prevu::reconciler::Measure(n, 0, "steady");
  }
  for (int n : sizes) {
    prevu::reconciler::Measure(n, 10, "pushed");
  }
  return 0;
}

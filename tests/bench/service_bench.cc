// The whole service, measured: `prevu serve` with the real Docker daemon, real git and signed
// webhooks, as in the end-to-end tests. Prints:
// - webhook to first byte of the sample app through the proxy, with a cold build cache (content
//   no earlier build saw) and a warm one (the same commit again, as another pull request);
// - a push (synchronize) until the new content is served;
// - the resident memory of the prevu process idle and with N ready previews (default 50).
// Needs Docker and prevu/busybox:local (.ci/busybox-image). Run: service_bench [--previews N]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/e2e_support.h"

namespace prevu::e2e {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kSecret = "bench-secret";

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

long RssKib(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(in, line);) {
    if (absl::StartsWith(line, "VmRSS:")) {
      return std::strtol(line.c_str() + 6, nullptr, 10);
    }
  }
  return -1;
}

class Bench {
 public:
  Bench() : api_port_(FreePort()), proxy_port_(FreePort()) {}

  bool Start() {
    prevu_ = std::make_unique<PrevuProcess>(
        dir_.path(),
        absl::StrCat("[api]\nlisten = \"127.0.0.1:", api_port_,
                     "\"\n[proxy]\nlisten = \"127.0.0.1:", proxy_port_, "\"\n[state]\ndir = \"",
                     dir_.path(), "/state\"\n[github]\nwebhook_secret = \"env:BENCH_SECRET\"\n"),
        std::map<std::string, std::string>{{"BENCH_SECRET", kSecret}});
    absl::Status started = prevu_->Start(api_port_);
    if (!started.ok()) {
      std::fprintf(stderr, "%s\n", std::string(started.message()).c_str());
      return false;
    }
    return true;
  }

  pid_t pid() const { return prevu_->pid(); }

  // Sends `action` for pull request `number` at `sha` of `remote`.
  bool Send(GitRemote& remote, int number, const std::string& action, const std::string& sha) {
    RequestEvent event{.repo = "bench/hello",
                       .number = number,
                       .action = action,
                       .head_sha = sha,
                       .head_ref = "bench",
                       .clone_url = remote.clone_url()};
    HttpResult answer = SendGitHub(api_port_, kSecret, event);
    if (answer.status != 202) {
      std::fprintf(stderr, "webhook answered %d: %s\n", answer.status, answer.body.c_str());
      return false;
    }
    if (action == "opened") {
      opened_.push_back(number);  // CloseAll() walks this list while it sends closes
    }
    return true;
  }

  // Milliseconds until pull request `number`'s host serves a 200 whose body holds `text`.
  double WaitServed(int number, const std::string& text, Clock::time_point since) {
    std::string host = absl::StrCat("pr-", number, "-hello.localhost");
    bool served = WaitFor(
        [&] {
          HttpResult result = Http(proxy_port_, "GET", host, "/");
          return result.status == 200 && absl::StrContains(result.body, text);
        },
        std::chrono::seconds(300));
    if (!served) {
      std::fprintf(stderr, "%s was not served; prevu log:\n%s\n", host.c_str(),
                   prevu_->log().c_str());
      return -1;
    }
    return MillisecondsSince(since);
  }

  int ReadyCount() const {
    HttpResult list = Http(api_port_, "GET", "127.0.0.1", "/api/v1/previews");
    nlohmann::json body = nlohmann::json::parse(list.body, nullptr, false);
    int ready = 0;
    if (body.is_object()) {
      for (const nlohmann::json& preview : body["previews"]) {
        ready += preview.value("phase", "") == "ready" ? 1 : 0;
      }
    }
    return ready;
  }

  // Closes every pull request opened and waits until Docker holds nothing of them.
  void CloseAll(GitRemote& remote) {
    std::string sha = remote.head();
    for (int number : opened_) {
      Send(remote, number, "closed", sha);
    }
    for (int number : opened_) {
      std::string key = absl::StrCat("github/bench/hello#", number);
      WaitFor([&] { return ListByKey(key).empty(); }, std::chrono::seconds(120));
      RemoveByKey(key);
    }
  }

 private:
  TempDir dir_;
  int api_port_;
  int proxy_port_;
  std::unique_ptr<PrevuProcess> prevu_;
  std::vector<int> opened_;
};

int Main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures reach a pipe as they are printed
  int previews = 50;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--previews" && !absl::SimpleAtoi(argv[i + 1], &previews)) {
      std::fprintf(stderr, "usage: service_bench [--previews N]\n");
      return 2;
    }
  }
  if (RunCommand(PREVU_SOURCE_DIR "/.ci/busybox-image").exit_code != 0) {
    std::fprintf(stderr, "needs Docker and prevu/busybox:local (.ci/busybox-image)\n");
    return 1;
  }
  Bench bench;
  if (!bench.Start()) {
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  long rss_idle = RssKib(bench.pid());

  // Content no build has seen: the COPY step misses Docker's build cache.
  TempDir repo_dir;
  GitRemote remote(repo_dir.path(), PREVU_SOURCE_DIR "/examples/hello", "bench");
  std::string nonce = absl::StrCat(::getpid(), "-", Clock::now().time_since_epoch().count());
  std::string sha = remote.Commit("www/nonce.txt", nonce, "refs/pull/1/head");
  auto start = Clock::now();
  bench.Send(remote, 1, "opened", sha);
  double cold = bench.WaitServed(1, "Hello from a Prevu preview", start);

  // The same commit as another pull request: every build step is cached.
  start = Clock::now();
  bench.Send(remote, 2, "opened", sha);
  double warm = bench.WaitServed(2, "Hello from a Prevu preview", start);

  // A push: new content, built and swapped in.
  std::string pushed =
      remote.Commit("www/index.html", "<!doctype html><p>Pushed " + nonce, "refs/pull/1/head");
  start = Clock::now();
  bench.Send(remote, 1, "synchronize", pushed);
  double push = bench.WaitServed(1, "Pushed " + nonce, start);

  std::printf(
      "FIGURE service webhook_to_first_byte_cold_ms=%.0f warm_ms=%.0f push_to_served_ms=%.0f\n",
      cold, warm, push);

  start = Clock::now();
  for (int number = 3; number <= previews; ++number) {
    bench.Send(remote, number, "opened", sha);
  }
  bool all = WaitFor([&] { return bench.ReadyCount() >= previews; }, std::chrono::seconds(900));
  double all_ms = MillisecondsSince(start);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  long rss_loaded = RssKib(bench.pid());
  std::printf(
      "FIGURE service rss_idle_kib=%ld rss_%d_previews_kib=%ld (%s, %d more ready in %.1f s)\n",
      rss_idle, previews, rss_loaded, all ? "all ready" : "NOT all ready", previews - 2,
      all_ms / 1000);

  bench.CloseAll(remote);
  return cold > 0 && warm > 0 && push > 0 && all ? 0 : 1;
}

}  // namespace
}  // namespace prevu::e2e

int main(int argc, char** argv) { return prevu::e2e::Main(argc, argv); }

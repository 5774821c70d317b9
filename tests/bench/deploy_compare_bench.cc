// Time from "desired state written" to "the preview answers 200", through Prevu's reconcile loop
// and Docker runtime, against the same steps done with the git and docker command lines in a
// shell: fetch the commit shallowly, build the same context with the classic builder, create a
// network, run the container with the same limits and hardening, poll until HTTP 200.
//
//   deploy_compare_bench [--runs N] [--poll-ms MS] 2>/dev/null
//
// The app is examples/hello (busybox httpd FROM prevu/busybox:local; `.ci/busybox-image` makes
// the base image). "cold": each run commits a page no build has seen, so no layer of the app is
// cached. "warm": every run builds content that an image kept for the whole benchmark already
// has, so every layer comes from the cache. Prevu and the shell take turns, run by run, so that
// both see the same load; the medians and Prevu's overhead over the shell are printed. The shell
// polls as often as Prevu's health check does (250 ms, --poll-ms), the way a person would.
//
// Needs a Docker daemon at /var/run/docker.sock and git; run as a user who may use both.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "controller/desired_store.h"
#include "reconciler/docker/docker_runtime.h"
#include "reconciler/git/git_source_fetcher.h"
#include "reconciler/reconciler.h"
#include "tests/reconciler/busybox_app.h"
#include "tests/reconciler/loop_fakes.h"
#include "tests/reconciler/windowed_runtime.h"

namespace prevu::reconciler {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int Shell(const std::string& command) {
  return std::system(absl::StrCat("bash -c '", command, "' >/dev/null 2>&1").c_str());
}

std::string Output(const std::string& command) {
  std::string output;
  FILE* out = popen(command.c_str(), "r");
  if (out == nullptr) {
    return output;
  }
  char buffer[4096];
  size_t got;
  while ((got = fread(buffer, 1, sizeof buffer, out)) > 0) {
    output.append(buffer, got);
  }
  pclose(out);
  return output;
}

bool Answers200(uint16_t port) {
  std::string answer = HttpGetIndex(port);
  return absl::StartsWith(answer, "HTTP/1.0 200") || absl::StartsWith(answer, "HTTP/1.1 200");
}

// The sample app in a bare repository, one commit per page text.
class Repository {
 public:
  explicit Repository(const std::string& dir) : dir_(dir) {
    std::string work = dir_ + "/work";
    Shell(absl::StrCat("git init -q --bare ", dir_, "/origin.git && git init -q -b main ", work));
    std::filesystem::copy(PREVU_SOURCE_DIR "/examples/hello", work,
                          std::filesystem::copy_options::recursive);
  }

  std::string url() const { return absl::StrCat("file://", dir_, "/origin.git"); }

  // Commits a page with `text` and pushes it; returns the commit id.
  std::string Commit(const std::string& text) {
    std::string work = dir_ + "/work";
    std::ofstream(work + "/www/index.html") << "<p>" << text << "</p>\n";
    std::string git = absl::StrCat("git -C ", work, " -c user.name=b -c user.email=b@example.com ");
    Shell(git + "add -A && " + git + "commit -q -m page && " + git + "push -q -f " + dir_ +
          "/origin.git HEAD:refs/heads/feature");
    std::string sha = Output(git + "rev-parse HEAD");
    return sha.substr(0, 40);
  }

 private:
  std::string dir_;
};

// Prevu: the real store, loop, git fetcher and Docker runtime; the proxy stands in as a recording
// publisher, whose ready route is what the proxy would serve.
class PrevuPath {
 public:
  PrevuPath(const std::string& dir, const std::string& owner)
      : owner_(owner), window_(&docker_, absl::StrCat("github/", owner, "/")) {
    store_ = *controller::OpenDesiredStore(dir + "/store", base::Clock::Real());
    config_.state.dir = dir;
    loop_ = std::make_unique<Reconciler>(store_.get(), &window_, &fetcher_, &publisher_, config_,
                                         base::Clock::Real());
    if (!loop_->Start().ok()) {
      std::fprintf(stderr, "the reconciler did not start\n");
      std::exit(1);
    }
  }

  // Writes the desired state of a new preview at `sha` and waits until it answers 200; the
  // seconds from the write to the answer, and Prevu's own step timings.
  double Deploy(const std::string& url, const std::string& sha, int number,
                std::map<std::string, int64_t>* steps) {
    controller::PreviewKey key{controller::Provider::kGitHub, owner_ + "/hello", number};
    controller::SpecUpdate update{url, sha, "feature", "main", "bench", "bench"};
    if (!store_->Upsert(key, update).ok()) {
      return -1;
    }
    Clock::time_point written = Clock::now();
    while (Seconds(Clock::now() - written) < 120) {
      for (const proxy::Route& route : publisher_.routes()) {
        if (route.ready && route.host == absl::StrCat("pr-", number, "-hello.localhost") &&
            Answers200(route.upstream_port)) {
          double took = Seconds(Clock::now() - written);
          *steps = store_->Get(key)->status.timings_ms;
          return took;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return -1;
  }

  // Closes the preview and waits until the loop has removed everything it made.
  void Remove(int number) {
    controller::PreviewKey key{controller::Provider::kGitHub, owner_ + "/hello", number};
    if (!store_->Close(key).ok()) {
      return;
    }
    Clock::time_point start = Clock::now();
    while (store_->Get(key).has_value() && Seconds(Clock::now() - start) < 60) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  std::string owner_;
  docker::DockerRuntime docker_{docker::DockerClient::Options{}};
  // The daemon is shared: this loop must see (and so remove) only what it made.
  WindowedRuntime window_;
  git::GitSourceFetcher fetcher_{git::GitFetcher::Options{}};
  fakes::FakePublisher publisher_;
  controller::HostConfig config_;
  std::unique_ptr<controller::DesiredStore> store_;
  std::unique_ptr<Reconciler> loop_;
};

// The same steps by hand. The script prints the time after each step, in nanoseconds.
class ShellPath {
 public:
  ShellPath(const std::string& dir, int poll_ms) : dir_(dir), poll_ms_(poll_ms) {}

  double Deploy(const std::string& url, const std::string& sha, int number,
                std::map<std::string, int64_t>* steps) {
    std::string name = absl::StrCat("prevu-bench-", getpid(), "-", number);
    std::string tree = absl::StrCat(dir_, "/cli-", number);
    // The limits and hardening Prevu applies for examples/hello's .prevu.toml.
    std::string script = absl::StrCat(
        "set -e; t() { date +%s%N; }; t\n", "git init -q ", tree, " && git -C ", tree,
        " fetch -q --depth 1 --no-tags ", url, " ", sha, " && git -C ", tree,
        " -c advice.detachedHead=false checkout -q --detach ", sha, "; t\n",
        "DOCKER_BUILDKIT=0 docker build -q --label prevu.bench=", name, " -t ", name, ":latest ",
        tree, " >/dev/null; t\n", "docker network create --label prevu.bench=", name, " ", name,
        " >/dev/null\n", "docker run -d --name ", name, " --network ", name,
        " -p 127.0.0.1::8080 --cap-drop ALL --security-opt no-new-privileges --memory 64m ",
        "--memory-swap 64m --cpus 0.25 --pids-limit 64 --restart no --log-opt max-size=10m ",
        "--log-opt max-file=2 --label prevu.bench=", name, " ", name, ":latest >/dev/null\n",
        "port=$(docker port ", name, " 8080/tcp | head -n 1 | sed 's/.*://'); t\n",
        "until curl -fs -o /dev/null http://127.0.0.1:$port/; do sleep ",
        absl::StrFormat("%.3f", poll_ms_ / 1000.0), "; done; t\n");
    std::ofstream(dir_ + "/deploy.sh") << script;

    Clock::time_point start = Clock::now();
    std::string stamps = Output(absl::StrCat("bash ", dir_, "/deploy.sh 2>/dev/null"));
    double took = Seconds(Clock::now() - start);
    std::vector<int64_t> t;
    for (absl::string_view line : absl::StrSplit(stamps, '\n', absl::SkipEmpty())) {
      int64_t ns = 0;
      if (absl::SimpleAtoi(line, &ns)) {
        t.push_back(ns);
      }
    }
    if (t.size() != 5) {
      return -1;
    }
    const char* names[] = {"fetch", "build", "start", "health"};
    for (int i = 0; i < 4; ++i) {
      (*steps)[names[i]] = (t[i + 1] - t[i]) / 1'000'000;
    }
    return took;
  }

  void Remove(int number) {
    std::string name = absl::StrCat("prevu-bench-", getpid(), "-", number);
    Shell(absl::StrCat("docker rm -f ", name, "; docker network rm ", name, "; docker rmi ", name,
                       ":latest; rm -rf ", dir_, "/cli-", number));
  }

 private:
  std::string dir_;
  int poll_ms_;
};

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n == 0 ? 0 : (n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2);
}

std::string Steps(const std::map<std::string, int64_t>& steps) {
  std::string text;
  for (const char* step : {"fetch", "build", "start", "health"}) {
    auto it = steps.find(step);
    absl::StrAppend(&text, step, "=", it == steps.end() ? -1 : it->second, "ms ");
  }
  return text;
}

int Main(int argc, char** argv) {
  int runs = 5;
  int poll_ms = 250;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--runs") {
      runs = std::atoi(argv[i + 1]);
    } else if (flag == "--poll-ms") {
      poll_ms = std::atoi(argv[i + 1]);
    }
  }
  if (Shell("docker image inspect prevu/busybox:local") != 0) {
    std::fprintf(stderr, "needs the image prevu/busybox:local: run .ci/busybox-image\n");
    return 1;
  }

  char pattern[] = "/tmp/prevu-deploy-bench-XXXXXX";
  std::string dir = mkdtemp(pattern);
  Repository repo(dir);
  PrevuPath prevu(dir, absl::StrCat("bench-", getpid()));
  ShellPath shell(dir, poll_ms);

  // Warm runs build this page, which an image kept until the end already holds.
  std::string warm_page = absl::StrCat("warm ", getpid());
  std::string warm_sha = repo.Commit(warm_page);
  std::string primer = absl::StrCat("prevu-bench-primer-", getpid());
  Shell(absl::StrCat("d=", dir, "/primer && git clone -q ", repo.url(),
                     " $d && git -C $d checkout -q ", warm_sha,
                     " && DOCKER_BUILDKIT=0 docker build -q -t ", primer, " $d"));

  int number = 0;
  for (const char* kind : {"cold", "warm"}) {
    bool cold = std::string(kind) == "cold";
    std::vector<double> prevu_times, shell_times;
    for (int run = 0; run < runs; ++run) {
      for (int side = 0; side < 2; ++side) {
        // Alternate who goes first, so neither always follows the other's clean-up.
        bool prevu_turn = (side == 0) == (run % 2 == 0);
        std::string sha =
            cold ? repo.Commit(absl::StrCat("cold ", getpid(), " ", ++number)) : warm_sha;
        ++number;
        std::map<std::string, int64_t> steps;
        double took = prevu_turn ? prevu.Deploy(repo.url(), sha, number, &steps)
                                 : shell.Deploy(repo.url(), sha, number, &steps);
        std::printf("%s run=%d %-5s %.3fs  %s\n", kind, run, prevu_turn ? "prevu" : "shell", took,
                    Steps(steps).c_str());
        std::fflush(stdout);
        (prevu_turn ? prevu_times : shell_times).push_back(took);
        if (prevu_turn) {
          prevu.Remove(number);
        } else {
          shell.Remove(number);
        }
      }
    }
    double p = Median(prevu_times);
    double s = Median(shell_times);
    std::printf(
        "%s: prevu median %.3fs, shell median %.3fs, prevu overhead %+.1f%% (%d runs each)\n", kind,
        p, s, (p - s) / s * 100, runs);
    std::fflush(stdout);
  }

  Shell(absl::StrCat("docker rmi ", primer));
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace prevu::reconciler

int main(int argc, char** argv) { return prevu::reconciler::Main(argc, argv); }

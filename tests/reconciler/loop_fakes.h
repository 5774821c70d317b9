// Fakes around the reconcile loop's seams, for its unit tests: a container runtime kept in
// memory, a fetcher that writes a small tree, a health probe and a route publisher that record
// what they are asked. All are thread-safe, as the loop calls them from several threads.
#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "proxy/route_publisher.h"
#include "reconciler/health_probe.h"
#include "reconciler/runtime.h"
#include "reconciler/source_fetcher.h"

namespace prevu::reconciler::fakes {

class FakeRuntime : public ContainerRuntime {
 public:
  absl::StatusOr<ActualState> List() override {
    absl::MutexLock lock(&mu_);
    ++lists_;
    if (!list_error_.ok()) {
      return list_error_;
    }
    return state_;
  }

  absl::StatusOr<std::string> Build(const BuildSpec& spec, const LogSink& log,
                                    const CancelToken& cancel) override {
    absl::MutexLock lock(&mu_);
    ++builds_started_;
    log(absl::StrCat("Step 1/1 : building ", spec.tag));
    auto released = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return !hold_builds_ || cancel.cancelled();
    };
    while (!released()) {
      mu_.AwaitWithTimeout(absl::Condition(&released), absl::Milliseconds(5));
    }
    if (cancel.cancelled()) {
      ++builds_cancelled_;
      return absl::CancelledError("build cancelled");
    }
    if (!build_error_.empty()) {
      return absl::FailedPreconditionError(build_error_);
    }
    ActualImage image{absl::StrCat("sha256:img", ++next_id_),
                      {spec.tag},
                      spec.labels.at(kLabelKey),
                      spec.labels.at(kLabelSpecHash)};
    state_.images.push_back(image);
    ++builds_done_;
    return image.id.str();
  }

  absl::StatusOr<std::string> EnsureNetwork(
      const std::string& name, const std::map<std::string, std::string>& labels) override {
    absl::MutexLock lock(&mu_);
    for (const ActualNetwork& n : state_.networks) {
      if (n.name == name) {
        return n.id;
      }
    }
    state_.networks.push_back(
        ActualNetwork{absl::StrCat("net", ++next_id_), name, labels.at(kLabelKey)});
    return state_.networks.back().id;
  }

  absl::StatusOr<ActualContainer> Run(const ContainerSpec& spec) override {
    absl::MutexLock lock(&mu_);
    ++runs_;
    if (!run_error_.ok()) {
      return run_error_;
    }
    ActualContainer c;
    c.id = absl::StrCat("ctr", ++next_id_);
    c.name = spec.name;
    c.key = spec.labels.at(kLabelKey);
    c.spec_hash = spec.labels.at(kLabelSpecHash);
    c.image_id = spec.image;
    c.running = !crash_on_start_;
    c.exit_code = crash_on_start_ ? 3 : 0;
    c.network = spec.network;
    c.upstream_host = "127.0.0.1";
    c.upstream_port = static_cast<uint16_t>(40000 + next_id_);
    last_spec_ = spec;
    state_.containers.push_back(c);
    return c;
  }

  absl::StatusOr<ActualContainer> Inspect(const std::string& id) override {
    absl::MutexLock lock(&mu_);
    ++inspects_;
    for (const ActualContainer& c : state_.containers) {
      if (c.id == id) {
        return c;
      }
    }
    return absl::NotFoundError(absl::StrCat("no such container: ", id));
  }

  absl::Status RemoveContainer(const std::string& id) override {
    return Erase(&ActualState::containers, id);
  }
  absl::Status RemoveNetwork(const std::string& id) override {
    return Erase(&ActualState::networks, id);
  }
  absl::Status RemoveImage(const std::string& id) override {
    return Erase(&ActualState::images, id);
  }

  absl::StatusOr<std::string> Logs(const std::string&, int) override {
    return std::string("listening on :8080\nfatal: cannot open database\n");
  }

  std::unique_ptr<Subscription> Watch(std::function<void()> on_event) override {
    absl::MutexLock lock(&mu_);
    on_event_ = std::move(on_event);
    return std::make_unique<Subscription>();
  }

  // --- What tests change and inspect.

  void Event() {
    std::function<void()> on_event;
    {
      absl::MutexLock lock(&mu_);
      on_event = on_event_;
    }
    if (on_event) {
      on_event();
    }
  }
  void Kill(const std::string& id) {
    absl::MutexLock lock(&mu_);
    for (ActualContainer& c : state_.containers) {
      if (c.id == id) {
        c.running = false;
        c.exit_code = 137;
      }
    }
  }
  void DropNetworks() {
    absl::MutexLock lock(&mu_);
    state_.networks.clear();
  }
  void SetListError(absl::Status status) {
    absl::MutexLock lock(&mu_);
    list_error_ = std::move(status);
  }
  void SetBuildError(std::string message) {
    absl::MutexLock lock(&mu_);
    build_error_ = std::move(message);
  }
  void SetRunError(absl::Status status) {
    absl::MutexLock lock(&mu_);
    run_error_ = std::move(status);
  }
  void HoldBuilds(bool hold) {
    absl::MutexLock lock(&mu_);
    hold_builds_ = hold;
  }
  void CrashOnStart(bool crash) {
    absl::MutexLock lock(&mu_);
    crash_on_start_ = crash;
  }
  ActualState State() const {
    absl::MutexLock lock(&mu_);
    return state_;
  }
  ContainerSpec LastSpec() const {
    absl::MutexLock lock(&mu_);
    return last_spec_;
  }
  int builds_started() const {
    absl::MutexLock lock(&mu_);
    return builds_started_;
  }
  int builds_cancelled() const {
    absl::MutexLock lock(&mu_);
    return builds_cancelled_;
  }
  int runs() const {
    absl::MutexLock lock(&mu_);
    return runs_;
  }
  int lists() const {
    absl::MutexLock lock(&mu_);
    return lists_;
  }
  int inspects() const {
    absl::MutexLock lock(&mu_);
    return inspects_;
  }

 private:
  template <typename T>
  absl::Status Erase(std::vector<T> ActualState::*objects, const std::string& id) {
    absl::MutexLock lock(&mu_);
    std::vector<T>& list = state_.*objects;
    std::erase_if(list, [&](const T& object) { return object.id == id; });
    return absl::OkStatus();
  }

  mutable absl::Mutex mu_;
  ActualState state_ ABSL_GUARDED_BY(mu_);
  ContainerSpec last_spec_ ABSL_GUARDED_BY(mu_);
  absl::Status list_error_ ABSL_GUARDED_BY(mu_);
  std::string build_error_ ABSL_GUARDED_BY(mu_);
  absl::Status run_error_ ABSL_GUARDED_BY(mu_);
  bool hold_builds_ ABSL_GUARDED_BY(mu_) = false;
  bool crash_on_start_ ABSL_GUARDED_BY(mu_) = false;
  int next_id_ ABSL_GUARDED_BY(mu_) = 0;
  int builds_started_ ABSL_GUARDED_BY(mu_) = 0;
  int builds_done_ ABSL_GUARDED_BY(mu_) = 0;
  int builds_cancelled_ ABSL_GUARDED_BY(mu_) = 0;
  int runs_ ABSL_GUARDED_BY(mu_) = 0;
  int lists_ ABSL_GUARDED_BY(mu_) = 0;
  int inspects_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void()> on_event_ ABSL_GUARDED_BY(mu_);
};

// Writes a Dockerfile and, when set, a `.prevu.toml` into the destination directory.
class FakeFetcher : public SourceFetcher {
 public:
  absl::Status Fetch(const SourceRequest& request, const CancelToken&) override {
    absl::MutexLock lock(&mu_);
    ++fetches_;
    last_ = request;
    if (!error_.ok()) {
      return error_;
    }
    std::filesystem::create_directories(request.dest_dir);
    std::ofstream(request.dest_dir + "/Dockerfile") << "FROM scratch\n";
    if (!prevu_toml_.empty()) {
      std::ofstream(request.dest_dir + "/.prevu.toml") << prevu_toml_;
    }
    return absl::OkStatus();
  }

  void SetPrevuToml(std::string text) {
    absl::MutexLock lock(&mu_);
    prevu_toml_ = std::move(text);
  }
  void SetError(absl::Status status) {
    absl::MutexLock lock(&mu_);
    error_ = std::move(status);
  }
  int fetches() const {
    absl::MutexLock lock(&mu_);
    return fetches_;
  }
  SourceRequest last() const {
    absl::MutexLock lock(&mu_);
    return last_;
  }

 private:
  mutable absl::Mutex mu_;
  std::string prevu_toml_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  int fetches_ ABSL_GUARDED_BY(mu_) = 0;
  SourceRequest last_ ABSL_GUARDED_BY(mu_);
};

// Answers healthy unless told otherwise.
class FakeProbe : public HealthProbe {
 public:
  absl::Status Probe(const std::string&, uint16_t port, const std::string& path,
                     absl::Duration) override {
    absl::MutexLock lock(&mu_);
    last_path_ = path;
    ++probes_;
    if (!healthy_ || probes_ <= fail_first_) {
      return absl::UnavailableError(absl::StrCat("port ", port, " refused"));
    }
    return absl::OkStatus();
  }
  void SetHealthy(bool healthy) {
    absl::MutexLock lock(&mu_);
    healthy_ = healthy;
  }
  // The first `n` probes fail, as while an app is still starting.
  void FailFirst(int n) {
    absl::MutexLock lock(&mu_);
    fail_first_ = n;
  }
  std::string last_path() const {
    absl::MutexLock lock(&mu_);
    return last_path_;
  }
  int probes() const {
    absl::MutexLock lock(&mu_);
    return probes_;
  }

 private:
  mutable absl::Mutex mu_;
  bool healthy_ ABSL_GUARDED_BY(mu_) = true;
  int fail_first_ ABSL_GUARDED_BY(mu_) = 0;
  int probes_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_path_ ABSL_GUARDED_BY(mu_);
};

class FakePublisher : public proxy::RoutePublisher {
 public:
  void Publish(std::vector<proxy::Route> routes) override {
    absl::MutexLock lock(&mu_);
    routes_ = std::move(routes);
    ++publishes_;
  }
  std::vector<proxy::Route> routes() const {
    absl::MutexLock lock(&mu_);
    return routes_;
  }
  int publishes() const {
    absl::MutexLock lock(&mu_);
    return publishes_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<proxy::Route> routes_ ABSL_GUARDED_BY(mu_);
  int publishes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace prevu::reconciler::fakes

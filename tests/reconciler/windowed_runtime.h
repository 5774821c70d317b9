// The real container runtime seen through a window, for tests and benchmarks that share a
// Docker daemon with others: the loop removes every managed object that nobody desires, so it must
// see only its own.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "reconciler/runtime.h"

namespace prevu::reconciler {

// The real runtime, with List() narrowed to keys that start with `prefix`.
class WindowedRuntime : public ContainerRuntime {
 public:
  WindowedRuntime(ContainerRuntime* docker, std::string prefix)
      : docker_(docker), prefix_(std::move(prefix)) {}

  absl::StatusOr<ActualState> List() override {
    absl::StatusOr<ActualState> all = docker_->List();
    if (!all.ok()) {
      return all;
    }
    auto outside = [&](const auto& object) { return !absl::StartsWith(object.key.str(), prefix_); };
    std::erase_if(all->containers, outside);
    std::erase_if(all->networks, outside);
    std::erase_if(all->images, outside);
    return all;
  }
  absl::StatusOr<std::string> Build(const BuildSpec& spec, const LogSink& log,
                                    const CancelToken& cancel) override {
    ++builds_;
    return docker_->Build(spec, log, cancel);
  }
  absl::StatusOr<std::string> EnsureNetwork(
      const std::string& name, const std::map<std::string, std::string>& labels) override {
    return docker_->EnsureNetwork(name, labels);
  }
  absl::StatusOr<ActualContainer> Run(const ContainerSpec& spec) override {
    return docker_->Run(spec);
  }
  absl::StatusOr<ActualContainer> Inspect(const std::string& id) override {
    return docker_->Inspect(id);
  }
  absl::Status RemoveContainer(const std::string& id) override {
    return docker_->RemoveContainer(id);
  }
  absl::Status RemoveNetwork(const std::string& id) override { return docker_->RemoveNetwork(id); }
  absl::Status RemoveImage(const std::string& id) override { return docker_->RemoveImage(id); }
  absl::StatusOr<std::string> Logs(const std::string& id, int lines) override {
    return docker_->Logs(id, lines);
  }
  std::unique_ptr<Subscription> Watch(std::function<void()> on_event) override {
    return docker_->Watch(std::move(on_event));
  }

  int builds() const { return builds_.load(); }

 private:
  ContainerRuntime* docker_;
  std::string prefix_;
  std::atomic<int> builds_{0};
};

}  // namespace prevu::reconciler

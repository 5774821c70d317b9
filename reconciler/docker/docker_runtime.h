// The container runtime on one Docker host: previews become labelled images, one bridge network
// each, and hardened containers whose app port is published on 127.0.0.1 only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "reconciler/docker/docker_client.h"
#include "reconciler/runtime.h"

namespace prevu::reconciler::docker {

class DockerRuntime : public ContainerRuntime {
 public:
  explicit DockerRuntime(DockerClient::Options options);

  absl::StatusOr<ActualState> List() override;

  // Sends `spec.context_dir` (minus what its .dockerignore excludes) to the daemon's classic
  // builder, then labels and tags the result with a second build of one LABEL step (see
  // LabelDockerfile). Cancelled when `cancel` fires (the connection is closed, which makes Docker
  // stop the build); FailedPrecondition with Docker's message when the build fails.
  absl::StatusOr<std::string> Build(const BuildSpec& spec, const LogSink& log,
                                    const CancelToken& cancel) override;

  // AlreadyExists when a network of this name exists without prevu.managed=true.
  absl::StatusOr<std::string> EnsureNetwork(
      const std::string& name, const std::map<std::string, std::string>& labels) override;

  // InvalidArgument for a spec that cannot be run hardened (no network, the host network, no
  // limits). A container that was created but did not start is removed again.
  absl::StatusOr<ActualContainer> Run(const ContainerSpec& spec) override;

  // One container inspect call; NotFound (Docker's 404) when it is gone.
  absl::StatusOr<ActualContainer> Inspect(const std::string& id) override;

  absl::Status RemoveContainer(const std::string& id) override;
  absl::Status RemoveNetwork(const std::string& id) override;
  absl::Status RemoveImage(const std::string& id) override;

  absl::StatusOr<std::string> Logs(const std::string& id, int lines) override;

  // Watches /events on a thread of its own. Container events are filtered by label; network
  // events carry no labels (Docker 20.10), so they count when the network is one List() or
  // EnsureNetwork() has seen.
  std::unique_ptr<Subscription> Watch(std::function<void()> on_event) override;

  DockerClient& client() { return client_; }

 private:
  class EventWatch;

  absl::StatusOr<ActualState> ListManaged();
  absl::StatusOr<std::string> AddLabels(const std::string& image, const BuildSpec& spec,
                                        const CancelToken& cancel);
  absl::StatusOr<std::string> FindOrCreateNetwork(const std::string& name,
                                                  const std::map<std::string, std::string>& labels);
  bool IsKnownNetwork(const std::string& id_or_name) const;

  // Instance scoping (DockerClient::Options::instance): whether labels say an object is this
  // instance's, the labels that make it so, a name made this instance's, and the listing filter.
  bool IsMine(const nlohmann::json& labels) const;
  std::map<std::string, std::string> OwnLabels(std::map<std::string, std::string> labels) const;
  std::string Scoped(const std::string& name) const;
  Filters OwnFilter() const;
  void RememberNetwork(const std::string& id, const std::string& name);

  DockerClient client_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> known_networks_ ABSL_GUARDED_BY(mu_);  // ids and names
};

// The container create body for `spec`, hardened (see docker_runtime.cc for each setting).
// InvalidArgument when the spec asks for something Prevu never runs.
absl::StatusOr<nlohmann::json> HardenedContainerConfig(const ContainerSpec& spec);

// The Dockerfile that gives `image` all of `labels` (and prevu.managed=true) in one LABEL step.
// Docker's classic builder turns each label of a build request into a step of its own, each
// committing an image; Prevu's three labels cost three commits on every build, cache or not.
// InvalidArgument for a label with a control character.
absl::StatusOr<std::string> LabelDockerfile(const std::string& image,
                                            const std::map<std::string, std::string>& labels);

// A container as List() shows it, from a container inspect answer. Missing sections leave
// defaults; a field of an unexpected type throws nlohmann::json::exception.
ActualContainer ContainerFromInspect(const nlohmann::json& inspect);

}  // namespace prevu::reconciler::docker

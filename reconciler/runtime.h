// The container runtime: the reconciler's only way to see and change what runs. Docker on one
// host implements it (reconciler/docker/); a fake implements it in unit tests of the loop.
// All calls block and may be made from any thread; the loop calls them from its worker pool.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "reconciler/compact_id.h"

namespace prevu::reconciler {

// Labels on every object Prevu creates (DESIGN.md, "Docker labels"). Prevu never touches an
// object without kLabelManaged=true.
inline constexpr char kLabelManaged[] = "prevu.managed";
inline constexpr char kLabelKey[] = "prevu.key";
inline constexpr char kLabelSpecHash[] = "prevu.spec-hash";
// Only on objects of a named instance ([docker] instance); the default instance sets none.
inline constexpr char kLabelInstance[] = "prevu.instance";

// Keys, ids and spec hashes are CompactIds: a reconcile pass compares them for every preview.
struct ActualContainer {
  CompactId id;
  std::string name;
  CompactId key;        // prevu.key
  CompactId spec_hash;  // prevu.spec-hash
  CompactId image_id;
  bool running = false;
  int exit_code = 0;
  absl::Time started_at = absl::InfinitePast();
  absl::Time finished_at = absl::InfinitePast();
  std::string network;         // name of the preview network it is attached to
  std::string upstream_host;   // where the proxy connects: "127.0.0.1"
  uint16_t upstream_port = 0;  // the published port of run.port, 0 if none
};

struct ActualNetwork {
  std::string id;
  std::string name;
  CompactId key;
};

struct ActualImage {
  CompactId id;
  std::vector<std::string> tags;
  CompactId key;
  CompactId spec_hash;
};

// Everything labelled prevu.managed=true. A List() that fails returns an error, never a partial
// state: the loop removes objects only on the strength of a complete listing.
struct ActualState {
  std::vector<ActualContainer> containers;
  std::vector<ActualNetwork> networks;
  std::vector<ActualImage> images;
};

// Cancels a slow call (a build, a health wait) from another thread.
class CancelToken {
 public:
  void Cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

 private:
  std::atomic<bool> cancelled_{false};
};

// Receives output lines of a build or a container as they arrive.
using LogSink = std::function<void(absl::string_view line)>;

struct BuildSpec {
  std::string context_dir;                // directory on disk; the runtime makes the tar stream
  std::string dockerfile = "Dockerfile";  // relative to the context
  std::string target;
  std::map<std::string, std::string> args;
  std::string tag;                            // prevu/<repo>:<number>-<sha12>
  std::map<std::string, std::string> labels;  // Prevu's labels
};

struct ContainerSpec {
  std::string name;
  std::string image;
  std::string network;  // the preview's own network
  int port = 8080;      // published on 127.0.0.1 at a port Docker chooses
  std::vector<std::string> command;
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> labels;
  int64_t memory_bytes = 0;
  double cpus = 0;
  int64_t pids = 0;
};

// Stops a watch when destroyed.
class Subscription {
 public:
  virtual ~Subscription() = default;
};

class ContainerRuntime {
 public:
  virtual ~ContainerRuntime() = default;

  // Everything Prevu manages, or an error; never a partial listing.
  virtual absl::StatusOr<ActualState> List() = 0;

  // Builds an image and returns its id. Docker's own error message is in the status.
  virtual absl::StatusOr<std::string> Build(const BuildSpec& spec, const LogSink& log,
                                            const CancelToken& cancel) = 0;

  // Creates the network unless one of this name exists; returns its id.
  virtual absl::StatusOr<std::string> EnsureNetwork(
      const std::string& name, const std::map<std::string, std::string>& labels) = 0;

  // Creates and starts a hardened container; returns it as List() would show it.
  virtual absl::StatusOr<ActualContainer> Run(const ContainerSpec& spec) = 0;

  // One container as List() would show it; NotFound when it is gone. Much cheaper than List()
  // for watching a single container.
  virtual absl::StatusOr<ActualContainer> Inspect(const std::string& id) = 0;

  // Removing something already gone is success.
  virtual absl::Status RemoveContainer(const std::string& id) = 0;
  virtual absl::Status RemoveNetwork(const std::string& id) = 0;
  virtual absl::Status RemoveImage(const std::string& id) = 0;

  // The last `lines` lines the container printed.
  virtual absl::StatusOr<std::string> Logs(const std::string& id, int lines) = 0;

  // Calls `on_event` for each container or network event on a managed object until the
  // returned handle is destroyed. Reconnects by itself when the stream breaks.
  virtual std::unique_ptr<Subscription> Watch(std::function<void()> on_event) = 0;
};

}  // namespace prevu::reconciler

// A client of the Docker Engine API over its Unix socket. Every call opens its own connection,
// has a deadline, and blocks the calling thread; calls may be made from any number of threads.
// Streamed answers (build output, events, logs) are handed over as they arrive through a bounded
// buffer, never collected whole. Docker's own error message reaches the returned status.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "reconciler/runtime.h"

namespace prevu::reconciler::docker {

// The Engine API versions Prevu speaks. 1.41 is Docker 20.10 (Debian 12's docker.io); newer
// daemons are asked to speak the highest version here.
inline constexpr int kMinApiMinor = 41;
inline constexpr int kMaxApiMinor = 43;

enum class Method { kGet, kPost, kDelete };

// Receives a piece of a streamed body as it arrives. Returning an error ends the call with it.
using ChunkSink = std::function<absl::Status(absl::string_view chunk)>;

// Produces a request body piece by piece: it calls `write` for each piece, in order.
using BodySource =
    std::function<absl::Status(const std::function<absl::Status(absl::string_view)>& write)>;

struct DockerRequest {
  Method method = Method::kGet;
  std::string path;                          // "/containers/json", without the version prefix
  std::map<std::string, std::string> query;  // escaped by the client
  std::string body;                          // a JSON body, or empty
  BodySource body_source;                    // a streamed body (sent chunked) instead of `body`
  std::string content_type = "application/json";
  absl::Duration timeout = absl::ZeroDuration();  // zero = the client's default
  const CancelToken* cancel = nullptr;            // closes the connection when cancelled
};

struct DockerResponse {
  int status = 0;
  std::string body;
};

// Label filters in the form of the Engine API's `filters` query parameter.
using Filters = std::map<std::string, std::vector<std::string>>;

class DockerClient {
 public:
  struct Options {
    std::string socket_path = "/var/run/docker.sock";
    absl::Duration timeout = absl::Seconds(30);        // every call but builds
    absl::Duration build_timeout = absl::Minutes(30);  // a whole build
    // The Prevu instance whose objects these are ([docker] instance), for several Prevus (or a
    // test run beside a real one) on one daemon. DockerRuntime labels what it creates with
    // prevu.instance, sees only its own instance's objects, and puts the name into container,
    // network and image names so that equal keys do not collide. "" is the default instance:
    // objects without the label.
    std::string instance;
  };

  explicit DockerClient(Options options);

  const Options& options() const { return options_; }

  // The API version in use ("1.41"), negotiated with /_ping and /version on first use and kept.
  // Unavailable when the daemon cannot be reached, FailedPrecondition when it is too old.
  absl::StatusOr<std::string> ApiVersion();

  // Sends a request and collects the answer (at most 64 MiB). Any HTTP status is returned as is;
  // transport failures, deadlines and cancellation are errors.
  absl::StatusOr<DockerResponse> Send(const DockerRequest& request);

  // Sends a request and hands the body to `sink` as it arrives. A non-2xx answer becomes an
  // error carrying Docker's message, and `sink` is not called.
  absl::Status Stream(const DockerRequest& request, const ChunkSink& sink);

  // Images. Build streams the context from `context` and returns the new image's id; `on_line`
  // receives each line of build output. Docker's errorDetail becomes the error.
  absl::StatusOr<std::string> BuildImage(const std::map<std::string, std::string>& query,
                                         const BodySource& context, const LogSink& on_line,
                                         const CancelToken& cancel);
  absl::StatusOr<nlohmann::json> InspectImage(const std::string& id);
  absl::StatusOr<nlohmann::json> ListImages(const Filters& filters);
  absl::Status RemoveImage(const std::string& id);  // NotFound when already gone
  absl::Status PruneImages(const Filters& filters);

  // Containers.
  absl::StatusOr<std::string> CreateContainer(const std::string& name,
                                              const nlohmann::json& config);
  absl::Status StartContainer(const std::string& id);
  absl::Status StopContainer(const std::string& id, absl::Duration grace);
  absl::Status RemoveContainer(const std::string& id);  // forced; NotFound when already gone
  absl::StatusOr<nlohmann::json> InspectContainer(const std::string& id);
  absl::StatusOr<nlohmann::json> ListContainers(const Filters& filters);
  // The last `tail` lines of stdout and stderr, demultiplexed, one call of `on_line` per line.
  absl::Status ContainerLogs(const std::string& id, int tail, const LogSink& on_line);
  // Waits until the container stops and returns its exit code.
  absl::StatusOr<int64_t> WaitContainer(const std::string& id, absl::Duration timeout);

  // Networks.
  absl::StatusOr<std::string> CreateNetwork(const std::string& name,
                                            const std::map<std::string, std::string>& labels);
  absl::Status RemoveNetwork(const std::string& id);  // NotFound when already gone
  absl::StatusOr<nlohmann::json> ListNetworks(const Filters& filters);
  absl::Status ConnectNetwork(const std::string& network, const std::string& container);

  // Streams events between `since` and `until` (the call ends at `until`), calling `on_event`
  // with each decoded event. `cancel` ends it early with Cancelled.
  absl::Status StreamEvents(const Filters& filters, absl::Time since, absl::Time until,
                            const std::function<void(const nlohmann::json&)>& on_event,
                            const CancelToken& cancel);

 private:
  absl::StatusOr<nlohmann::json> GetJson(const std::string& path, const Filters& filters,
                                         absl::string_view what);
  absl::StatusOr<nlohmann::json> SendForJson(const DockerRequest& request, int expected_status,
                                             absl::string_view what);
  absl::Status Expect(const DockerRequest& request, absl::string_view what);

  const Options options_;
  absl::Mutex mu_;
  std::string api_version_ ABSL_GUARDED_BY(mu_);
};

// Encodes filters as the JSON the `filters` query parameter takes.
std::string EncodeFilters(const Filters& filters);

// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay as they are).
std::string QueryEscape(absl::string_view text);

}  // namespace prevu::reconciler::docker

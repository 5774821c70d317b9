// The pure diff at the heart of the reconcile loop: from what is desired (previews with their
// status and the loop's memory of them), what Docker has, and the time, to the list of actions
// that make the two agree. It performs no I/O and keeps no state, so every lifecycle rule is
// tested as a table of cases (tests/reconciler/diff_test.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "controller/preview.h"
#include "reconciler/runtime.h"

namespace prevu::reconciler {

// What the loop remembers about one preview between passes. The diff reads it; only the loop
// changes it, when it carries out the actions.
struct PreviewMemory {
  CompactId job_hash;         // spec hash of the job in flight (deploy or start); "" = none
  CompactId ready_container;  // the container that passed its health check or was adopted
  CompactId failed_hash;      // a job for this hash failed for good; wait for a new spec
  CompactId image_hash;       // the hash whose image (and run settings) the loop remembers,
  CompactId image_id;         //   so that restarting a dead container needs no rebuild
  CompactId restarts_hash;    // the hash `restarts` and `retry_at` count for
  int restarts = 0;           // consecutive restarts of a container that died
  absl::Time retry_at = absl::InfinitePast();  // no restart before this (crash back-off)
  // Jobs that failed for a reason that may heal (the network, Docker being away) are tried again.
  CompactId retry_hash;    // the hash `job_failures` and `job_retry_at` count for
  std::string retry_step;  // the condition of the step that failed ("Fetched", "Built", ...)
  int job_failures = 0;    // consecutive failures of that step
  absl::Time job_retry_at = absl::InfinitePast();  // no new job before this (job back-off)
};

// One preview as the diff sees it. The loop computes the key text and the spec hash once per
// generation, not once per pass.
struct DesiredPreview {
  const controller::Preview* preview = nullptr;
  // Both kept alive by the caller, so that describing a preview copies nothing.
  const CompactId* key = nullptr;            // preview->key.ToString(), the prevu.key label
  const CompactId* spec_hash = nullptr;      // SpecHash() of the current spec
  absl::Duration ttl = absl::Hours(24 * 7);  // `[preview] ttl` of the repository
  const PreviewMemory* memory = nullptr;     // null when the loop remembers nothing
};

enum class ActionType {
  kDeploy,           // fetch, build and start `spec_hash` on the worker pool
  kStart,            // start `spec_hash` from the remembered image `image_id`, no rebuild
  kCancel,           // cancel the job for `spec_hash`: a newer generation overtook it
  kEnsureNetwork,    // recreate the preview's missing network
  kRemoveContainer,  // `id`, then its network and images in later actions
  kRemoveNetwork,
  kRemoveImage,
  kAdopt,         // container `id` of the current hash serves: status ready
  kResetBackoff,  // the container has stayed up long enough: forget earlier restarts
  kCrashLoop,     // the container keeps dying; wait until `retry_at` (status only)
  kMarkDeleting,  // the preview is closed or expired and its objects are being removed
  kForget,        // everything of a closed or expired preview is gone: forget it
};

absl::string_view ActionTypeName(ActionType type);

inline constexpr size_t kNoPreview = static_cast<size_t>(-1);

struct Action {
  ActionType type;
  size_t preview = kNoPreview;  // index into the desired list; kNoPreview for unknown keys
  std::string id;               // the container, network or image concerned
  std::string spec_hash;        // kDeploy, kStart, kCancel
  std::string image_id;         // kStart
  bool restart = false;         // kDeploy, kStart: replaces a container that died or vanished
  int exit_code = -1;           // kDeploy, kStart, kCrashLoop: how it died, -1 when unknown
  absl::Time retry_at = absl::InfinitePast();  // kCrashLoop
  bool expired = false;                        // kMarkDeleting, kForget: by TTL, not closed
};

// Where one open preview's host name should go. The strings point into the ActualState the plan
// was made from.
struct RouteTarget {
  size_t preview = kNoPreview;
  bool ready = false;
  const CompactId* container_id = nullptr;
  absl::string_view upstream_host;
  uint16_t upstream_port = 0;
};

struct Plan {
  std::vector<Action> actions;  // to be carried out in order
  // One per open, unexpired preview, in the order of the desired list. Empty and not valid when
  // the listing failed: the proxy then keeps the routes it has.
  std::vector<RouteTarget> routes;
  bool routes_valid = false;
  absl::Time next_wake = absl::InfiniteFuture();  // earliest crash back-off that ends
};

struct DiffOptions {
  absl::Duration backoff_base = absl::Seconds(2);
  absl::Duration backoff_max = absl::Minutes(5);
  // A container that has run this long without dying has its restart count reset.
  absl::Duration backoff_reset = absl::Minutes(10);
};

// How long to wait before restart number `restarts` (1-based): base, doubling, capped. Failed
// fetches wait the same way.
absl::Duration BackoffDelay(int restarts, const DiffOptions& options);

// A commit that no ref of the server has is fetched this many times before the preview fails
// for good (see RetryFetch).
inline constexpr int kFetchNotFoundAttempts = 5;

// Whether a fetch that has now failed `failures` times in a row (1-based), the last time with
// `code` (GitFetcher's codes), is tried again after BackoffDelay(failures). A bad request
// (InvalidArgument) never heals. A missing commit (NotFound) heals when a mirror or the forge's
// pull-request ref catches up with the webhook, which takes seconds; after a force-push it never
// does, so it is retried kFetchNotFoundAttempts times in all. Anything else (the network, the
// server, a timeout, the local disk) is retried for as long as the spec stays the same.
bool RetryFetch(absl::StatusCode code, int failures);

// Whether a build or start that failed with `code` (DockerRuntime's codes) is tried again after
// BackoffDelay(failures). Only when Docker could not be reached or did not answer in time
// (Unavailable, DeadlineExceeded) or ran out of something that closed previews give back
// (ResourceExhausted: address pools for networks). Docker's other refusals (a failing
// Dockerfile, an image that cannot run) say the same thing every time.
bool RetryDocker(absl::StatusCode code);

// Computes the plan; its routes point into `*actual`, which must outlive them. `actual` is null
// when listing Docker failed: the plan then removes,
// creates and forgets nothing (safe deletion) and only cancels overtaken jobs. Linear in the
// number of previews and actual objects. Thread-compatible; no I/O.
Plan Diff(const std::vector<DesiredPreview>& desired, const ActualState* actual, absl::Time now,
          const DiffOptions& options = {});

}  // namespace prevu::reconciler

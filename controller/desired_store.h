// The desired store: the map from preview key to spec that webhooks write and the reconciler
// reads, made durable in a journal before any write returns, plus the in-memory status that only
// the reconciler writes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/base/clock.h"
#include "controller/preview.h"

namespace prevu::base {
class MetricsRegistry;
}  // namespace prevu::base

namespace prevu::controller {

// What a webhook says about a request. The store decides whether it changes the generation.
struct SpecUpdate {
  std::string clone_url;
  std::string head_sha;
  std::string head_ref;
  std::string base_ref;
  std::string title;
  std::string author;
};

struct WriteResult {
  int64_t generation = 0;
  bool changed = false;  // false for a redelivery that changes nothing on disk
};

// All methods are thread-safe. Writes are durable (journal record fdatasync'ed) before they
// return; concurrent writers may share one sync. Subscribers are woken after each change.
class DesiredStore {
 public:
  virtual ~DesiredStore() = default;

  // Records an open request with this content, creating the preview if it is new. Reopens a
  // closed one.
  virtual absl::StatusOr<WriteResult> Upsert(const PreviewKey& key, const SpecUpdate& update) = 0;

  // Marks the request closed (closed or merged). NotFound when the key is unknown.
  virtual absl::StatusOr<WriteResult> Close(const PreviewKey& key) = 0;

  // Bumps the generation without changing the spec, so the reconciler rebuilds. NotFound when
  // unknown, FailedPrecondition when closed.
  virtual absl::StatusOr<WriteResult> Redeploy(const PreviewKey& key) = 0;

  // Forgets a preview entirely. Called by the reconciler once everything a closed preview
  // created is gone. Forgetting an unknown key is OK and writes nothing.
  virtual absl::Status Forget(const PreviewKey& key) = 0;

  virtual std::optional<Preview> Get(const PreviewKey& key) const = 0;
  virtual std::vector<Preview> List() const = 0;  // ordered by key

  // Replaces the observed status. Reconciler only; kept in memory, not journaled.
  virtual void SetStatus(const PreviewKey& key, PreviewStatus status) = 0;

  // Calls `wake` after changes of spec (not of status) are durable: at least one call starts
  // after each change, but calls for changes close together may be merged into one. `wake` runs
  // on the store's notifier thread, never on a writer's, and should return quickly (post to an
  // executor or set a flag): a slow `wake` delays other subscribers, not writers. Returns an id
  // for Unsubscribe.
  virtual uint64_t Subscribe(std::function<void()> wake) = 0;
  // When it returns, `wake` is not running and will not be called again (unless called from
  // inside a `wake`).
  virtual void Unsubscribe(uint64_t id) = 0;
};

struct DesiredStoreOptions {
  // When set, write latency from call to durable is observed in `prevu_store_write_seconds`.
  // Must outlive the store.
  base::MetricsRegistry* metrics = nullptr;
  // The journal is folded into a new snapshot once it holds this many bytes or records.
  int64_t compact_after_bytes = 4 << 20;
  int64_t compact_after_records = 10'000;
};

// Opens (creating if needed, with mode 0700) the durable store in `dir`: replays the snapshot and
// the journal, dropping a torn or corrupt tail with a log line. `clock` must outlive the store.
// One process at a time may hold a directory open. Errors say what to fix: a directory that
// cannot be created or written, one in use by another process, an unreadable file.
absl::StatusOr<std::unique_ptr<DesiredStore>> OpenDesiredStore(
    const std::string& dir, const base::Clock* clock, const DesiredStoreOptions& options = {});

}  // namespace prevu::controller

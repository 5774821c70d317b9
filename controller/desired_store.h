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
  // unknown.
  virtual absl::StatusOr<WriteResult> Redeploy(const PreviewKey& key) = 0;

  // Forgets a preview entirely. Called by the reconciler once everything a closed preview
  // created is gone.
  virtual absl::Status Forget(const PreviewKey& key) = 0;

  virtual std::optional<Preview> Get(const PreviewKey& key) const = 0;
  virtual std::vector<Preview> List() const = 0;  // ordered by key

  // Replaces the observed status. Reconciler only; kept in memory, not journaled.
  virtual void SetStatus(const PreviewKey& key, PreviewStatus status) = 0;

  // Calls `wake` after every change of spec (not of status). `wake` runs on the writer's thread
  // and must not block: post to an executor or set a flag. Returns an id for Unsubscribe.
  virtual uint64_t Subscribe(std::function<void()> wake) = 0;
  virtual void Unsubscribe(uint64_t id) = 0;
};

// Opens (creating if needed) the durable store in `dir`: replays the snapshot and the journal,
// dropping a torn or corrupt tail with a log line. `clock` must outlive the store.
absl::StatusOr<std::unique_ptr<DesiredStore>> OpenDesiredStore(const std::string& dir,
                                                               const base::Clock* clock);

}  // namespace prevu::controller

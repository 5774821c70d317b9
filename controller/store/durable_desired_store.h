// The DesiredStore implementation: specs in memory, every change appended to the journal and
// synced before it is acknowledged or shown to readers, concurrent writers sharing one sync.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "controller/base/clock.h"
#include "controller/base/metrics.h"
#include "controller/desired_store.h"
#include "controller/store/journal.h"
#include "controller/store/snapshot.h"
#include "controller/store/spec_record.h"
#include "controller/store/store_directory.h"
#include "controller/store/wake_notifier.h"

namespace prevu::controller::store {

class DurableDesiredStore final : public DesiredStore {
 public:
  // Seams for tests; production code passes none.
  struct TestHooks {
    // Runs on the syncing thread after a batch is written and before it is synced, with no
    // store lock held.
    std::function<void()> before_sync;
    // Runs on the compaction thread before the snapshot is written.
    std::function<void()> before_snapshot;
  };

  static absl::StatusOr<std::unique_ptr<DurableDesiredStore>> Open(
      const std::string& dir, const base::Clock* clock, const DesiredStoreOptions& options,
      TestHooks hooks = {});
  // Waits for a compaction in progress. Callers must have stopped writing.
  ~DurableDesiredStore() override;

  absl::StatusOr<WriteResult> Upsert(const PreviewKey& key, const SpecUpdate& update) override;
  absl::StatusOr<WriteResult> Close(const PreviewKey& key) override;
  absl::StatusOr<WriteResult> Redeploy(const PreviewKey& key) override;
  absl::Status Forget(const PreviewKey& key) override;
  std::optional<Preview> Get(const PreviewKey& key) const override;
  std::vector<Preview> List() const override;
  void SetStatus(const PreviewKey& key, PreviewStatus status) override;
  uint64_t Subscribe(std::function<void()> wake) override;
  void Unsubscribe(uint64_t id) override;

  // How many times the journal has been folded into a snapshot since Open.
  int64_t compactions() const;
  // Returns once no compaction is running.
  void AwaitCompactionForTesting();
  // Where the next journal record goes; only while no write is in progress.
  int64_t journal_bytes_for_testing() const;
  // How many records wait for the next sync.
  size_t queued_for_testing() const;

  // What a write does to the latest spec of a key (nullptr when there is none).
  struct Change {
    bool write = false;               // false: nothing changes, nothing is written
    std::optional<PreviewSpec> next;  // nullopt with write: forget
    int64_t generation = 0;           // what the caller is told
  };

 private:
  using Mutation = std::function<absl::StatusOr<Change>(const PreviewSpec* latest, absl::Time now)>;

  // A record queued for the journal, not yet durable.
  struct Pending {
    int64_t seq;
    SpecRecord record;
  };
  // The newest queued spec of a key, which later writers build on before it is durable.
  struct Overlay {
    int64_t seq;
    std::optional<PreviewSpec> spec;
  };

  DurableDesiredStore(std::unique_ptr<StoreDirectory> directory, const base::Clock* clock,
                      const DesiredStoreOptions& options, TestHooks hooks);

  // Loads the snapshot and replays the journals; on Open only.
  absl::Status RecoverLocked(const Snapshot& snapshot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<WriteResult> Mutate(const PreviewKey& key, const Mutation& mutation);
  const PreviewSpec* LatestLocked(const PreviewKey& key) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  absl::Status AwaitDurableLocked(int64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SyncBatchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Shows a durable batch to readers, returns its writers and wakes subscribers.
  void PublishLocked(std::vector<Pending> batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyLocked(SpecRecord record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Snapshot SnapshotLocked(int64_t journal_seq) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Called by the journal's owner after a sync: starts a compaction when one is due.
  void MaybeCompactLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The compaction thread: writes the snapshot and promotes journal.new.
  void Compact(const Snapshot& snapshot, int64_t journal_records) ABSL_LOCKS_EXCLUDED(mu_);
  void CompactionFailedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // On open, when journal.new numbered `next_seq` was replayed: completes that compaction.
  absl::Status FinishCutCompactionLocked(int64_t next_seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::unique_ptr<StoreDirectory> directory_;
  const base::Clock* const clock_;
  const DesiredStoreOptions options_;
  const TestHooks hooks_;
  base::Histogram* write_seconds_ = nullptr;

  mutable absl::Mutex mu_;
  // Durable state, the only one readers see.
  std::map<PreviewKey, Preview> previews_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<PreviewKey, Overlay> overlay_ ABSL_GUARDED_BY(mu_);
  std::vector<Pending> queued_ ABSL_GUARDED_BY(mu_);
  std::string queued_frames_ ABSL_GUARDED_BY(mu_);
  int64_t last_queued_seq_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t durable_seq_ ABSL_GUARDED_BY(mu_) = 0;
  // True while one writer owns the journal (a sync or a compaction); the others queue.
  bool journal_busy_ ABSL_GUARDED_BY(mu_) = false;
  absl::CondVar journal_changed_;  // signalled when a batch is durable or the journal is free
  // Set when the journal failed: what is on disk is unknown, so every later write is refused.
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  // Compaction is not retried until the journal grows past these after a failed one.
  int64_t compact_floor_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t compact_floor_records_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t compactions_ ABSL_GUARDED_BY(mu_) = 0;
  // A snapshot is being written on compactor_.
  bool compacting_ ABSL_GUARDED_BY(mu_) = false;
  // Appends go to journal.new: a snapshot of everything before it is still owed.
  bool next_journal_active_ ABSL_GUARDED_BY(mu_) = false;
  bool compaction_failed_ ABSL_GUARDED_BY(mu_) = false;
  std::thread compactor_ ABSL_GUARDED_BY(mu_);
  // Owned by the writer with journal_busy_ set; created by Open before any writer exists.
  std::unique_ptr<Journal> journal_;

  WakeNotifier notifier_;
};

}  // namespace prevu::controller::store

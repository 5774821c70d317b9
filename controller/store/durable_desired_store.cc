// The durable desired store: generation rules, group commit and compaction; see
// durable_desired_store.h.
#include "controller/store/durable_desired_store.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "controller/base/log.h"
#include "controller/store/frame_reader.h"
#include "controller/store/snapshot.h"

namespace prevu::controller {
namespace store {
namespace {

using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// The fields a webhook sets; generation and times are the store's.
void ApplyUpdate(const SpecUpdate& update, PreviewSpec* spec) {
  spec->clone_url = update.clone_url;
  spec->head_sha = update.head_sha;
  spec->head_ref = update.head_ref;
  spec->base_ref = update.base_ref;
  spec->title = update.title;
  spec->author = update.author;
  spec->open = true;
}

bool SameRequest(const PreviewSpec& a, const PreviewSpec& b) {
  return a.clone_url == b.clone_url && a.head_sha == b.head_sha && a.head_ref == b.head_ref &&
         a.base_ref == b.base_ref && a.title == b.title && a.author == b.author && a.open == b.open;
}

// A written change that earns a new generation.
DurableDesiredStore::Change Bumped(PreviewSpec next, absl::Time now) {
  ++next.generation;
  next.updated_at = now;
  int64_t generation = next.generation;
  return {true, std::move(next), generation};
}

absl::Status Unknown(const PreviewKey& key) {
  return absl::NotFoundError(absl::StrCat("no preview `", key.ToString(), "` is known"));
}

}  // namespace

DurableDesiredStore::DurableDesiredStore(std::unique_ptr<StoreDirectory> directory,
                                         const base::Clock* clock,
                                         const DesiredStoreOptions& options, TestHooks hooks)
    : directory_(std::move(directory)), clock_(clock), options_(options), hooks_(std::move(hooks)) {
  if (options_.metrics != nullptr) {
    write_seconds_ = options_.metrics->AddHistogram(
        "prevu_store_write_seconds",
        "Time from a desired store write until its journal record is durable.", "",
        base::LatencyBuckets());
  }
}

DurableDesiredStore::~DurableDesiredStore() {
  // Writers are gone by contract, so no compaction can start; one may still be running.
  std::thread compactor;
  {
    absl::MutexLock lock(&mu_);
    compactor = std::move(compactor_);
  }
  if (compactor.joinable()) {
    compactor.join();
  }
}

absl::StatusOr<std::unique_ptr<DurableDesiredStore>> DurableDesiredStore::Open(
    const std::string& dir, const base::Clock* clock, const DesiredStoreOptions& options,
    TestHooks hooks) {
  SteadyClock::time_point start = SteadyClock::now();
  absl::StatusOr<std::unique_ptr<StoreDirectory>> directory = StoreDirectory::Open(dir);
  if (!directory.ok()) {
    return directory.status();
  }
  absl::StatusOr<Snapshot> snapshot = Snapshot::Read(dir);
  if (!snapshot.ok()) {
    return snapshot.status();
  }

  // No other thread can see the store yet; the lock only satisfies the members' contracts.
  std::unique_ptr<DurableDesiredStore> store(
      new DurableDesiredStore(*std::move(directory), clock, options, std::move(hooks)));
  absl::MutexLock lock(&store->mu_);
  absl::Status recovered = store->RecoverLocked(*snapshot);
  if (!recovered.ok()) {
    return recovered;
  }

  log::Info("desired store opened")
      .With("dir", dir)
      .With("previews", store->previews_.size())
      .With("snapshot_records", snapshot->records.size())
      .With("journal_records", store->journal_->records())
      .With("took_ms", static_cast<int64_t>(SecondsSince(start) * 1000));
  store->MaybeCompactLocked();
  return store;
}

absl::Status DurableDesiredStore::RecoverLocked(const Snapshot& snapshot) {
  for (const SpecRecord& record : snapshot.records) {
    ApplyLocked(record);
  }
  auto apply = [this](SpecRecord record)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS { ApplyLocked(std::move(record)); };
  const std::string& dir = directory_->path();
  absl::StatusOr<std::unique_ptr<Journal>> journal =
      Journal::Open(dir, snapshot.journal_seq, apply);
  if (!journal.ok()) {
    return journal.status();
  }
  journal_ = *std::move(journal);

  // A journal.new that continues the snapshot means a compaction was cut short.
  absl::StatusOr<std::optional<int64_t>> next_seq =
      Journal::ReplayNext(dir, snapshot.journal_seq, apply);
  if (!next_seq.ok()) {
    return next_seq.status();
  }
  return *next_seq ? FinishCutCompactionLocked(**next_seq)
                   : RemoveIfExists(absl::StrCat(dir, "/journal.new"));
}

absl::StatusOr<WriteResult> DurableDesiredStore::Upsert(const PreviewKey& key,
                                                        const SpecUpdate& update) {
  if (key.repo.empty() || key.number <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "preview key `", key.ToString(), "` needs a repository and a positive request number"));
  }
  return Mutate(key, [&update](const PreviewSpec* latest, absl::Time now) -> Change {
    PreviewSpec next = latest != nullptr ? *latest : PreviewSpec{};
    ApplyUpdate(update, &next);
    if (latest == nullptr) {
      next.generation = 1;
      next.created_at = now;
      next.updated_at = now;
      return Change{true, next, next.generation};
    }
    if (SameRequest(*latest, next)) {
      return Change{false, std::nullopt, latest->generation};
    }

    // Only what changes the running container earns a new generation (a reopen included).
    if (!latest->open || latest->head_sha != next.head_sha || latest->clone_url != next.clone_url) {
      ++next.generation;
    }
    next.updated_at = now;
    return Change{true, next, next.generation};
  });
}

absl::StatusOr<WriteResult> DurableDesiredStore::Close(const PreviewKey& key) {
  return Mutate(key, [&key](const PreviewSpec* latest, absl::Time now) -> absl::StatusOr<Change> {
    if (latest == nullptr) {
      return Unknown(key);
    }
    if (!latest->open) {
      return Change{false, std::nullopt, latest->generation};
    }
    PreviewSpec next = *latest;
    next.open = false;
    return Bumped(std::move(next), now);
  });
}

absl::StatusOr<WriteResult> DurableDesiredStore::Redeploy(const PreviewKey& key) {
  return Mutate(key, [&key](const PreviewSpec* latest, absl::Time now) -> absl::StatusOr<Change> {
    if (latest == nullptr) {
      return Unknown(key);
    }
    if (!latest->open) {
      return absl::FailedPreconditionError(absl::StrCat(
          "preview `", key.ToString(), "` is closed; reopen the request to deploy it again"));
    }
    return Bumped(*latest, now);
  });
}

absl::Status DurableDesiredStore::Forget(const PreviewKey& key) {
  absl::StatusOr<WriteResult> result =
      Mutate(key, [](const PreviewSpec* latest, absl::Time) -> Change {
        if (latest == nullptr) {
          return Change{false, std::nullopt, 0};
        }
        return Change{true, std::nullopt, latest->generation};
      });
  return result.status();
}

std::optional<Preview> DurableDesiredStore::Get(const PreviewKey& key) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = previews_.find(key);
  if (it == previews_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<Preview> DurableDesiredStore::List() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<Preview> previews;
  previews.reserve(previews_.size());
  for (const auto& [key, preview] : previews_) {
    previews.push_back(preview);
  }
  return previews;
}

void DurableDesiredStore::SetStatus(const PreviewKey& key, PreviewStatus status) {
  absl::MutexLock lock(&mu_);
  auto it = previews_.find(key);
  if (it == previews_.end()) {
    log::Debug("status for an unknown preview ignored").With("preview", key.ToString());
    return;
  }
  it->second.status = std::move(status);
}

uint64_t DurableDesiredStore::Subscribe(std::function<void()> wake) {
  return notifier_.Subscribe(std::move(wake));
}

void DurableDesiredStore::Unsubscribe(uint64_t id) { notifier_.Unsubscribe(id); }

int64_t DurableDesiredStore::compactions() const {
  absl::ReaderMutexLock lock(&mu_);
  return compactions_;
}

void DurableDesiredStore::AwaitCompactionForTesting() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](bool* compacting) { return !*compacting; }, &compacting_));
}

int64_t DurableDesiredStore::journal_bytes_for_testing() const {
  absl::ReaderMutexLock lock(&mu_);
  return journal_->bytes();
}

size_t DurableDesiredStore::queued_for_testing() const {
  absl::ReaderMutexLock lock(&mu_);
  return queued_.size();
}

absl::StatusOr<WriteResult> DurableDesiredStore::Mutate(const PreviewKey& key,
                                                        const Mutation& mutation) {
  SteadyClock::time_point start = SteadyClock::now();
  absl::MutexLock lock(&mu_);
  if (!failure_.ok()) {
    return failure_;
  }
  absl::StatusOr<Change> change = mutation(LatestLocked(key), clock_->Now());
  if (!change.ok()) {
    return change.status();
  }
  if (!change->write) {
    return WriteResult{change->generation, false};
  }

  // Queue the record; later writers to this key build on it through the overlay.
  SpecRecord record{key, change->next};
  absl::StatusOr<std::string> payload = EncodeSpecRecord(record);
  if (!payload.ok()) {
    return payload.status();
  }
  int64_t seq = ++last_queued_seq_;
  AppendFrame(*payload, &queued_frames_);
  overlay_[key] = Overlay{seq, std::move(change->next)};
  queued_.push_back(Pending{seq, std::move(record)});

  absl::Status durable = AwaitDurableLocked(seq);
  if (!durable.ok()) {
    return durable;
  }
  if (write_seconds_ != nullptr) {
    write_seconds_->Observe(SecondsSince(start));
  }
  return WriteResult{change->generation, true};
}

const PreviewSpec* DurableDesiredStore::LatestLocked(const PreviewKey& key) const {
  auto queued = overlay_.find(key);
  if (queued != overlay_.end()) {
    return queued->second.spec ? &*queued->second.spec : nullptr;
  }
  auto durable = previews_.find(key);
  return durable != previews_.end() ? &durable->second.spec : nullptr;
}

absl::Status DurableDesiredStore::AwaitDurableLocked(int64_t seq) {
  while (durable_seq_ < seq) {
    if (!failure_.ok()) {
      return failure_;
    }
    if (journal_busy_) {
      journal_changed_.Wait(&mu_);
      continue;
    }
    // Nobody owns the journal, so this record is still queued: lead the next batch.
    SyncBatchLocked();
  }
  return absl::OkStatus();
}

void DurableDesiredStore::SyncBatchLocked() {
  journal_busy_ = true;
  std::vector<Pending> batch;
  batch.swap(queued_);
  std::string frames;
  frames.swap(queued_frames_);

  // The lock is free during the disk work: readers go on, writers queue the next batch.
  mu_.Unlock();
  absl::Status status = journal_->Append(frames, static_cast<int64_t>(batch.size()));
  if (status.ok() && hooks_.before_sync) {
    hooks_.before_sync();
  }
  if (status.ok()) {
    status = journal_->Sync();
  }
  mu_.Lock();

  if (!status.ok()) {
    failure_ = absl::UnavailableError(
        absl::StrCat("the desired store cannot write its journal (", status.message(),
                     "); writes are refused until Prevu is restarted"));
    log::Error("journal write failed; refusing writes")
        .With("dir", directory_->path())
        .With("error", status.message());
  } else {
    PublishLocked(std::move(batch));
    MaybeCompactLocked();
  }
  journal_busy_ = false;
  journal_changed_.SignalAll();
}

void DurableDesiredStore::PublishLocked(std::vector<Pending> batch) {
  int64_t last = batch.back().seq;
  for (Pending& pending : batch) {
    auto overlay = overlay_.find(pending.record.key);
    if (overlay != overlay_.end() && overlay->second.seq <= last) {
      overlay_.erase(overlay);
    }
    ApplyLocked(std::move(pending.record));
  }

  // The batch's writers may return now, before any compaction this batch sets off.
  durable_seq_ = last;
  notifier_.Notify();
  journal_changed_.SignalAll();
}

void DurableDesiredStore::ApplyLocked(SpecRecord record) {
  if (!record.spec) {
    previews_.erase(record.key);
    return;
  }
  auto [it, inserted] = previews_.try_emplace(record.key);
  if (inserted) {
    it->second.key = record.key;
  }
  it->second.spec = *std::move(record.spec);
}

Snapshot DurableDesiredStore::SnapshotLocked(int64_t journal_seq) const {
  Snapshot snapshot;
  snapshot.journal_seq = journal_seq;
  snapshot.records.reserve(previews_.size());
  for (const auto& [key, preview] : previews_) {
    snapshot.records.push_back(SpecRecord{key, preview.spec});
  }
  return snapshot;
}

void DurableDesiredStore::MaybeCompactLocked() {
  int64_t bytes = journal_->bytes();
  int64_t records = journal_->records();
  if (compaction_failed_) {
    compaction_failed_ = false;
    CompactionFailedLocked();
  }
  if (compacting_ || (bytes < std::max(options_.compact_after_bytes, compact_floor_bytes_) &&
                      records < std::max(options_.compact_after_records, compact_floor_records_))) {
    return;
  }

  // Move appends to journal.new, unless a failed compaction left them there already. The caller
  // owns the journal, so the durable map holds exactly what the old journal holds.
  if (!next_journal_active_) {
    mu_.Unlock();
    absl::StatusOr<std::unique_ptr<Journal>> next =
        Journal::CreateNext(directory_->path(), journal_->seq() + 1);
    mu_.Lock();
    if (!next.ok()) {
      log::Error("cannot start a new journal for compaction")
          .With("dir", directory_->path())
          .With("error", next.status().message());
      CompactionFailedLocked();
      return;
    }
    journal_ = *std::move(next);
    next_journal_active_ = true;
  }

  // The snapshot may hold records of journal.new too: replaying them again is harmless.
  compacting_ = true;
  if (compactor_.joinable()) {
    compactor_.join();  // the previous compaction has finished: it cleared compacting_
  }
  compactor_ = std::thread(
      [this, snapshot = SnapshotLocked(journal_->seq()), records] { Compact(snapshot, records); });
}

void DurableDesiredStore::Compact(const Snapshot& snapshot, int64_t journal_records) {
  SteadyClock::time_point start = SteadyClock::now();
  if (hooks_.before_snapshot) {
    hooks_.before_snapshot();
  }
  absl::Status status = snapshot.Write(directory_->path());
  if (status.ok()) {
    status = Journal::PromoteNext(directory_->path());
  }

  absl::MutexLock lock(&mu_);
  compacting_ = false;
  if (!status.ok()) {
    // The journal belongs to the writers; the next of them to sync sets when to try again.
    compaction_failed_ = true;
    log::Error("compaction failed; the journal keeps growing")
        .With("dir", directory_->path())
        .With("error", status.message());
    return;
  }
  next_journal_active_ = false;
  compact_floor_bytes_ = 0;
  compact_floor_records_ = 0;
  ++compactions_;
  log::Info("journal compacted")
      .With("previews", snapshot.records.size())
      .With("journal_records", journal_records)
      .With("took_ms", static_cast<int64_t>(SecondsSince(start) * 1000));
}

void DurableDesiredStore::CompactionFailedLocked() {
  // Every journal on disk is still whole and replayable; try again once the journal has grown
  // as much again, rather than on every write.
  compact_floor_bytes_ = journal_->bytes() + options_.compact_after_bytes;
  compact_floor_records_ = journal_->records() + options_.compact_after_records;
}

absl::Status DurableDesiredStore::FinishCutCompactionLocked(int64_t next_seq) {
  // Fold both journals into a snapshot numbered past them, then start `journal` afresh; until
  // the new journal exists, both old ones are older than the snapshot and are dropped on open.
  int64_t seq = std::max(journal_->seq(), next_seq) + 1;
  absl::Status status = SnapshotLocked(seq).Write(directory_->path());
  if (status.ok()) {
    status = journal_->Restart(seq);
  }
  if (status.ok()) {
    status = RemoveIfExists(absl::StrCat(directory_->path(), "/journal.new"));
  }
  log::Info("finished a compaction cut short by a restart")
      .With("dir", directory_->path())
      .With("journal_seq", seq);
  return status;
}

}  // namespace store

absl::StatusOr<std::unique_ptr<DesiredStore>> OpenDesiredStore(const std::string& dir,
                                                               const base::Clock* clock,
                                                               const DesiredStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<store::DurableDesiredStore>> store =
      store::DurableDesiredStore::Open(dir, clock, options);
  if (!store.ok()) {
    return store.status();
  }
  return std::unique_ptr<DesiredStore>(*std::move(store));
}

}  // namespace prevu::controller

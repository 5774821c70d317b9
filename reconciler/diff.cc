// The pure diff; see diff.h. One pass gives each desired key a slot, files every actual object
// under its key's slot with one hash lookup, then plans each preview from its slot, so the cost
// is linear.
#include "reconciler/diff.h"

#include <algorithm>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"

namespace prevu::reconciler {
namespace {

using controller::Phase;

const PreviewMemory kNoMemory;

// The pass's index of desired keys points at the keys the caller keeps.
struct KeyHash {
  size_t operator()(const CompactId* key) const { return key->Hash(); }
};
struct KeyEq {
  bool operator()(const CompactId* a, const CompactId* b) const { return *a == *b; }
};

// How many objects ahead Differ::Index prefetches (see FileAll).
constexpr size_t kAhead = 8;

// Most previews have one or two objects of each kind: keep them inline, not on the heap, so a
// pass over thousands of previews does not allocate per preview.
using Containers = absl::InlinedVector<const ActualContainer*, 2>;

// The actual objects that carry one prevu.key label.
struct KeyObjects {
  Containers containers;
  absl::InlinedVector<const ActualNetwork*, 1> networks;
  absl::InlinedVector<const ActualImage*, 2> images;
};

// The containers of one open preview, by whether they run the current spec hash.
struct Sorted {
  Containers current_running;
  Containers current_dead;
  Containers stale_running;
  Containers stale_dead;
};

Sorted SortContainers(const Containers& containers, const CompactId& hash) {
  Sorted sorted;
  for (const ActualContainer* c : containers) {
    bool current = c->spec_hash == hash;
    if (c->running) {
      (current ? sorted.current_running : sorted.stale_running).push_back(c);
    } else {
      (current ? sorted.current_dead : sorted.stale_dead).push_back(c);
    }
  }
  return sorted;
}

bool Contains(const Containers& containers, const CompactId& id) {
  return std::any_of(containers.begin(), containers.end(),
                     [&](const ActualContainer* c) { return c->id == id; });
}

bool IsExpired(const DesiredPreview& d, absl::Time now) {
  absl::Time updated = d.preview->spec.updated_at;
  return updated != absl::InfinitePast() && updated + d.ttl < now;
}

// A job of the current hash failed for a reason that may heal, and its back-off has not ended.
bool RetryWaits(const PreviewMemory& m, const CompactId& hash, absl::Time now) {
  return m.job_failures > 0 && m.retry_hash == hash && m.job_retry_at > now;
}

bool ShowsCrashLoop(const controller::PreviewStatus& status) {
  const controller::Condition* ready = status.FindCondition("Ready");
  return ready != nullptr && ready->reason == "CrashLoop";
}

class Differ {
 public:
  Differ(const std::vector<DesiredPreview>& desired, absl::Time now, const DiffOptions& options)
      : desired_(desired), now_(now), options_(options) {}

  Plan Run(const ActualState* actual);

 private:
  void Index(const ActualState& actual);
  // Inlined by force: GCC takes a function that only prefetches for one without effects and
  // drops the call.
  [[gnu::always_inline]] inline void PrefetchPlan(size_t i) const;
  void PlanPreview(size_t i);
  void PlanOpen(size_t i, const PreviewMemory& m, const KeyObjects& objects);
  void RepairNetwork(size_t i, const PreviewMemory& m, const KeyObjects& objects);
  // The running container of the current hash that the loop remembers as ready, if any.
  static const ActualContainer* FindReady(const PreviewMemory& m, const Containers& running);
  const ActualContainer* PickServing(size_t i, const PreviewMemory& m, const Sorted& sorted,
                                     const ActualContainer* remembered) const;
  // `remembered`: `serving` is the container the loop remembers as ready.
  void KeepServing(size_t i, const PreviewMemory& m, const ActualContainer& serving,
                   bool remembered);
  void StartIfDue(size_t i, const PreviewMemory& m, const KeyObjects& objects, bool died,
                  int exit_code);
  void AddStart(size_t i, const PreviewMemory& m, const KeyObjects& objects, bool restart,
                int exit_code);
  void AddRoute(size_t i, const ActualContainer* serving, const Sorted& sorted);
  void RemoveUnusedImages(size_t i, const PreviewMemory& m, const KeyObjects& objects,
                          const Containers& kept);
  void PlanGone(size_t i, const PreviewMemory& m, const KeyObjects& objects, bool expired);
  KeyObjects* Find(const CompactId& key);
  template <typename T, typename FileFn>
  void FileAll(const std::vector<T>& objects, FileFn file);
  void PlanUnknownKeys();
  void RemoveContainers(size_t i, const Containers& containers);

  Action& Add(ActionType type, size_t i) {
    plan_.actions.push_back(Action{type, i});
    return plan_.actions.back();
  }

  const std::vector<DesiredPreview>& desired_;
  absl::Time now_;
  const DiffOptions& options_;
  // The actual objects by key, one slot per distinct desired key in the order of the desired
  // list, so that planning walks them in order; previews with the same key share a slot.
  absl::flat_hash_map<const CompactId*, uint32_t, KeyHash, KeyEq> slot_of_key_;
  std::vector<uint32_t> slot_;  // of each desired preview
  std::vector<KeyObjects> objects_;
  KeyObjects strays_;  // objects of keys no desired preview has, in listing order
  Plan plan_;
};

Plan Differ::Run(const ActualState* actual) {
  if (actual == nullptr) {
    // Safe deletion: without a complete listing, nothing is created, removed or forgotten.
    // Cancelling an overtaken job is still right, whatever Docker has.
    for (size_t i = 0; i < desired_.size(); ++i) {
      const PreviewMemory& m = desired_[i].memory ? *desired_[i].memory : kNoMemory;
      bool open = desired_[i].preview->spec.open && !IsExpired(desired_[i], now_);
      if (!m.job_hash.empty() && (!open || m.job_hash != *desired_[i].spec_hash)) {
        Add(ActionType::kCancel, i).spec_hash = m.job_hash.str();
      }
    }
    return std::move(plan_);
  }

  Index(*actual);
  plan_.routes_valid = true;
  plan_.routes.reserve(desired_.size());
  for (size_t i = 0; i < desired_.size(); ++i) {
    if (i + kAhead < desired_.size()) {
      PrefetchPlan(i + kAhead);
    }
    PlanPreview(i);
  }
  PlanUnknownKeys();
  return std::move(plan_);
}

void Differ::Index(const ActualState& actual) {
  slot_of_key_.reserve(desired_.size());
  slot_.reserve(desired_.size());
  objects_.reserve(desired_.size());
  for (size_t i = 0; i < desired_.size(); ++i) {
    const DesiredPreview& d = desired_[i];
    auto [it, inserted] = slot_of_key_.try_emplace(d.key, static_cast<uint32_t>(objects_.size()));
    if (inserted) {
      objects_.emplace_back();
    }
    slot_.push_back(it->second);
  }

  FileAll(actual.containers,
          [](KeyObjects& o, const ActualContainer* c) { o.containers.push_back(c); });
  FileAll(actual.networks, [](KeyObjects& o, const ActualNetwork* n) { o.networks.push_back(n); });
  FileAll(actual.images, [](KeyObjects& o, const ActualImage* i) { o.images.push_back(i); });
}

// Files every object under its key. Each lookup waits on memory (the object, the table's slot,
// the desired key it is compared with), and one lookup after another would wait for each in
// turn: the next objects and their slots are prefetched a batch ahead, so that those waits
// overlap.
template <typename T, typename FileFn>
void Differ::FileAll(const std::vector<T>& objects, FileFn file) {
  const size_t n = objects.size();
  for (size_t i = 0; i < n; ++i) {
    if (i + 2 * kAhead < n) {
      __builtin_prefetch(&objects[i + 2 * kAhead].key);
    }
    if (i + kAhead < n) {
      slot_of_key_.prefetch(&objects[i + kAhead].key);
    }
    file(*Find(objects[i].key), &objects[i]);
  }
}

KeyObjects* Differ::Find(const CompactId& key) {
  auto it = slot_of_key_.find(&key);
  return it == slot_of_key_.end() ? &strays_ : &objects_[it->second];
}

// Planning reads a few fields of each of a preview's objects, scattered over the heap; the loop
// asks for those of the preview kAhead places on while it plans this one (see FileAll).
void Differ::PrefetchPlan(size_t i) const {
  const DesiredPreview& d = desired_[i];
  if (d.memory != nullptr) {
    __builtin_prefetch(&d.memory->job_hash);
    __builtin_prefetch(&d.memory->ready_container);
  }
  __builtin_prefetch(&d.preview->spec);
  const KeyObjects& objects = objects_[slot_[i]];
  if (!objects.containers.empty()) {
    const ActualContainer* c = objects.containers.front();
    __builtin_prefetch(&c->id);
    __builtin_prefetch(&c->spec_hash);
    __builtin_prefetch(&c->running);
    __builtin_prefetch(&c->upstream_port);
  }
  if (!objects.images.empty()) {
    __builtin_prefetch(&objects.images.front()->spec_hash);
  }
}

void Differ::PlanPreview(size_t i) {
  const DesiredPreview& d = desired_[i];
  const PreviewMemory& m = d.memory ? *d.memory : kNoMemory;
  const KeyObjects& objects = objects_[slot_[i]];

  bool expired = IsExpired(d, now_);
  if (!d.preview->spec.open || expired) {
    PlanGone(i, m, objects, expired);
    return;
  }
  PlanOpen(i, m, objects);
}

void Differ::PlanOpen(size_t i, const PreviewMemory& m, const KeyObjects& objects) {
  const CompactId& hash = *desired_[i].spec_hash;
  bool job = !m.job_hash.empty();
  bool job_current = job && m.job_hash == hash;
  if (job && !job_current) {
    Add(ActionType::kCancel, i).spec_hash = m.job_hash.str();
  }

  // A network removed under running containers cuts them off: rebuild the wiring.
  if (!job && !objects.containers.empty() && objects.networks.empty()) {
    RepairNetwork(i, m, objects);
    return;
  }

  // While a job for the current hash runs, its container is not ours to judge yet.
  Sorted sorted = SortContainers(objects.containers, hash);
  const ActualContainer* remembered = FindReady(m, sorted.current_running);
  const ActualContainer* serving = job_current ? nullptr : PickServing(i, m, sorted, remembered);
  int exit_code = sorted.current_dead.empty() ? -1 : sorted.current_dead.front()->exit_code;
  bool died =
      !sorted.current_dead.empty() || (!m.ready_container.empty() && remembered == nullptr &&
                                       !Contains(objects.containers, m.ready_container));
  if (!job_current) {
    RemoveContainers(i, sorted.current_dead);
    for (const ActualContainer* c : sorted.current_running) {
      if (c != serving) {
        Add(ActionType::kRemoveContainer, i).id = c->id.str();
      }
    }
  }

  Containers kept;
  // Docker's classic builder makes short-lived containers and images that carry the build's
  // labels; while a job runs, the key's stopped containers and unused images may be those, so
  // their removal waits for the job to end.
  if (!job) {
    RemoveContainers(i, sorted.stale_dead);
  }
  if (serving != nullptr) {
    KeepServing(i, m, *serving, serving == remembered);
    RemoveContainers(i, sorted.stale_running);
    kept.push_back(serving);
  } else {
    // The old container keeps serving until its replacement is ready.
    kept = sorted.stale_running;
    if (job_current) {
      kept.insert(kept.end(), sorted.current_running.begin(), sorted.current_running.end());
      kept.insert(kept.end(), sorted.current_dead.begin(), sorted.current_dead.end());
    } else if (!job) {
      StartIfDue(i, m, objects, died, exit_code);
    }
  }

  AddRoute(i, serving, sorted);
  if (!job) {
    RemoveUnusedImages(i, m, objects, kept);
  }
}

void Differ::RepairNetwork(size_t i, const PreviewMemory& m, const KeyObjects& objects) {
  Add(ActionType::kEnsureNetwork, i);
  RemoveContainers(i, objects.containers);
  const CompactId& hash = *desired_[i].spec_hash;
  if (RetryWaits(m, hash, now_)) {
    plan_.next_wake = std::min(plan_.next_wake, m.job_retry_at);
  } else if (m.failed_hash != hash) {
    AddStart(i, m, objects, /*restart=*/false, -1);
  }
  AddRoute(i, nullptr, Sorted{});
  RemoveUnusedImages(i, m, objects, {});
}

const ActualContainer* Differ::FindReady(const PreviewMemory& m, const Containers& running) {
  if (m.ready_container.empty()) {
    return nullptr;
  }
  for (const ActualContainer* c : running) {
    if (c->id == m.ready_container) {
      return c;
    }
  }
  return nullptr;
}

const ActualContainer* Differ::PickServing(size_t i, const PreviewMemory& m, const Sorted& sorted,
                                           const ActualContainer* remembered) const {
  if (remembered != nullptr) {
    return remembered;
  }
  // A running container of the current hash that nobody is starting is adopted (after a
  // restart of Prevu), unless that hash is known to fail its health check.
  if (sorted.current_running.empty() || m.failed_hash == *desired_[i].spec_hash) {
    return nullptr;
  }
  return sorted.current_running.front();
}

void Differ::KeepServing(size_t i, const PreviewMemory& m, const ActualContainer& serving,
                         bool remembered) {
  const controller::Preview& preview = *desired_[i].preview;
  const controller::PreviewStatus& status = preview.status;
  // The loop writes status.container_id whenever it remembers a ready container, so the status
  // names `serving` when the memory does.
  if (!remembered || status.phase != Phase::kReady ||
      status.observed_generation != preview.spec.generation) {
    Add(ActionType::kAdopt, i).id = serving.id.str();
  }

  if (m.restarts > 0 && m.restarts_hash == *desired_[i].spec_hash &&
      serving.started_at + options_.backoff_reset <= now_) {
    Add(ActionType::kResetBackoff, i);
  }
}

void Differ::StartIfDue(size_t i, const PreviewMemory& m, const KeyObjects& objects, bool died,
                        int exit_code) {
  const DesiredPreview& d = desired_[i];
  if (m.failed_hash == *d.spec_hash) {
    return;
  }
  // The status already says when the job is tried again.
  if (RetryWaits(m, *d.spec_hash, now_)) {
    plan_.next_wake = std::min(plan_.next_wake, m.job_retry_at);
    return;
  }

  if (m.restarts_hash == *d.spec_hash && m.retry_at > now_) {
    plan_.next_wake = std::min(plan_.next_wake, m.retry_at);
    if (!ShowsCrashLoop(d.preview->status)) {
      Action& a = Add(ActionType::kCrashLoop, i);
      a.exit_code = exit_code;
      a.retry_at = m.retry_at;
    }
    return;
  }
  // Once a container has been restarting, every start counts, until it stays up long enough.
  bool restarting = m.restarts_hash == *d.spec_hash && m.restarts > 0;
  AddStart(i, m, objects, died || restarting, exit_code);
}

void Differ::AddStart(size_t i, const PreviewMemory& m, const KeyObjects& objects, bool restart,
                      int exit_code) {
  const CompactId& hash = *desired_[i].spec_hash;
  bool have_image = m.image_hash == hash &&
                    std::any_of(objects.images.begin(), objects.images.end(),
                                [&](const ActualImage* image) { return image->id == m.image_id; });
  Action& a = Add(have_image ? ActionType::kStart : ActionType::kDeploy, i);
  a.spec_hash = hash.str();
  a.restart = restart;
  a.exit_code = exit_code;
  if (have_image) {
    a.image_id = m.image_id.str();
  }
}

void Differ::AddRoute(size_t i, const ActualContainer* serving, const Sorted& sorted) {
  // Until the current hash serves, the newest old container that still runs does.
  const ActualContainer* target = serving;
  for (const ActualContainer* c : sorted.stale_running) {
    if (target == nullptr || (target != serving && c->started_at > target->started_at)) {
      target = c;
    }
  }

  RouteTarget& route = plan_.routes.emplace_back();
  route.preview = i;
  if (target != nullptr && target->upstream_port != 0) {
    route.ready = true;
    route.container_id = &target->id;
    route.upstream_host = target->upstream_host;
    route.upstream_port = target->upstream_port;
  }
}

void Differ::RemoveUnusedImages(size_t i, const PreviewMemory& m, const KeyObjects& objects,
                                const Containers& kept) {
  const CompactId& hash = *desired_[i].spec_hash;
  for (const ActualImage* image : objects.images) {
    bool wanted =
        image->spec_hash == hash || (!m.job_hash.empty() && image->spec_hash == m.job_hash);
    if (!wanted && std::none_of(kept.begin(), kept.end(), [&](const ActualContainer* c) {
          return c->image_id == image->id;
        })) {
      Add(ActionType::kRemoveImage, i).id = image->id.str();
    }
  }
}

void Differ::PlanGone(size_t i, const PreviewMemory& m, const KeyObjects& objects, bool expired) {
  bool job = !m.job_hash.empty();
  if (job) {
    Add(ActionType::kCancel, i).spec_hash = m.job_hash.str();
  }

  bool anything =
      !objects.containers.empty() || !objects.networks.empty() || !objects.images.empty();
  if ((anything || job) && desired_[i].preview->status.phase != Phase::kDeleting) {
    Add(ActionType::kMarkDeleting, i).expired = expired;
  }
  RemoveContainers(i, objects.containers);
  for (const ActualNetwork* n : objects.networks) {
    Add(ActionType::kRemoveNetwork, i).id = n->id;
  }
  for (const ActualImage* image : objects.images) {
    Add(ActionType::kRemoveImage, i).id = image->id.str();
  }

  // A cancelled job may still create something; forget only once it has reported back.
  if (!job) {
    Add(ActionType::kForget, i).expired = expired;
  }
}

void Differ::PlanUnknownKeys() {
  for (const ActualContainer* c : strays_.containers) {
    Add(ActionType::kRemoveContainer, kNoPreview).id = c->id.str();
  }
  for (const ActualNetwork* n : strays_.networks) {
    Add(ActionType::kRemoveNetwork, kNoPreview).id = n->id;
  }
  for (const ActualImage* image : strays_.images) {
    Add(ActionType::kRemoveImage, kNoPreview).id = image->id.str();
  }
}

void Differ::RemoveContainers(size_t i, const Containers& containers) {
  for (const ActualContainer* c : containers) {
    Add(ActionType::kRemoveContainer, i).id = c->id.str();
  }
}

}  // namespace

absl::string_view ActionTypeName(ActionType type) {
  switch (type) {
    case ActionType::kDeploy:
      return "deploy";
    case ActionType::kStart:
      return "start";
    case ActionType::kCancel:
      return "cancel";
    case ActionType::kEnsureNetwork:
      return "ensure_network";
    case ActionType::kRemoveContainer:
      return "remove_container";
    case ActionType::kRemoveNetwork:
      return "remove_network";
    case ActionType::kRemoveImage:
      return "remove_image";
    case ActionType::kAdopt:
      return "adopt";
    case ActionType::kResetBackoff:
      return "reset_backoff";
    case ActionType::kCrashLoop:
      return "crashloop";
    case ActionType::kMarkDeleting:
      return "mark_deleting";
    case ActionType::kForget:
      return "forget";
  }
  return "unknown";
}

absl::Duration BackoffDelay(int restarts, const DiffOptions& options) {
  absl::Duration delay = options.backoff_base;
  for (int n = 1; n < restarts && delay < options.backoff_max; ++n) {
    delay *= 2;
  }
  return std::min(delay, options.backoff_max);
}

bool RetryFetch(absl::StatusCode code, int failures) {
  switch (code) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kInvalidArgument:
      return false;
    case absl::StatusCode::kNotFound:
      return failures < kFetchNotFoundAttempts;
    default:
      return true;
  }
}

bool RetryDocker(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded ||
         code == absl::StatusCode::kResourceExhausted;
}

Plan Diff(const std::vector<DesiredPreview>& desired, const ActualState* actual, absl::Time now,
          const DiffOptions& options) {
  return Differ(desired, now, options).Run(actual);
}

}  // namespace prevu::reconciler

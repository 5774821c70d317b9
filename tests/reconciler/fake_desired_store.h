// An in-memory DesiredStore for unit tests of the reconcile loop: the same generation rules as
// the durable store, no disk, and subscribers woken on the writer's thread.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "controller/base/clock.h"
#include "controller/desired_store.h"

namespace prevu::reconciler::fakes {

class FakeDesiredStore : public controller::DesiredStore {
 public:
  explicit FakeDesiredStore(const base::Clock* clock) : clock_(clock) {}

  absl::StatusOr<controller::WriteResult> Upsert(const controller::PreviewKey& key,
                                                 const controller::SpecUpdate& update) override {
    controller::WriteResult result;
    {
      absl::MutexLock lock(&mu_);
      controller::Preview& p = previews_[key];
      bool created = p.spec.generation == 0;
      p.key = key;
      bool rebuild = created || !p.spec.open || p.spec.head_sha != update.head_sha ||
                     p.spec.clone_url != update.clone_url;
      p.spec.clone_url = update.clone_url;
      p.spec.head_sha = update.head_sha;
      p.spec.head_ref = update.head_ref;
      p.spec.title = update.title;
      p.spec.open = true;
      p.spec.generation += rebuild ? 1 : 0;
      p.spec.updated_at = clock_->Now();
      if (created) {
        p.spec.created_at = clock_->Now();
      }
      result = {p.spec.generation, true};
    }
    WakeAll();
    return result;
  }

  absl::StatusOr<controller::WriteResult> Close(const controller::PreviewKey& key) override {
    return Change(key, [](controller::PreviewSpec& spec) {
      spec.open = false;
      ++spec.generation;
    });
  }

  absl::StatusOr<controller::WriteResult> Redeploy(const controller::PreviewKey& key) override {
    return Change(key, [](controller::PreviewSpec& spec) { ++spec.generation; });
  }

  absl::Status Forget(const controller::PreviewKey& key) override {
    {
      absl::MutexLock lock(&mu_);
      previews_.erase(key);
    }
    WakeAll();
    return absl::OkStatus();
  }

  std::optional<controller::Preview> Get(const controller::PreviewKey& key) const override {
    absl::MutexLock lock(&mu_);
    auto it = previews_.find(key);
    if (it == previews_.end()) {
      return std::nullopt;
    }
    return it->second;
  }

  std::vector<controller::Preview> List() const override {
    absl::MutexLock lock(&mu_);
    std::vector<controller::Preview> list;
    for (const auto& [key, preview] : previews_) {
      list.push_back(preview);
    }
    return list;
  }

  void SetStatus(const controller::PreviewKey& key, controller::PreviewStatus status) override {
    absl::MutexLock lock(&mu_);
    auto it = previews_.find(key);
    if (it != previews_.end()) {
      it->second.status = std::move(status);
    }
  }

  uint64_t Subscribe(std::function<void()> wake) override {
    absl::MutexLock lock(&mu_);
    subscribers_[++next_id_] = std::move(wake);
    return next_id_;
  }

  void Unsubscribe(uint64_t id) override {
    absl::MutexLock lock(&mu_);
    subscribers_.erase(id);
  }

 private:
  absl::StatusOr<controller::WriteResult> Change(
      const controller::PreviewKey& key, const std::function<void(controller::PreviewSpec&)>& f) {
    controller::WriteResult result;
    {
      absl::MutexLock lock(&mu_);
      auto it = previews_.find(key);
      if (it == previews_.end()) {
        return absl::NotFoundError("unknown preview");
      }
      f(it->second.spec);
      it->second.spec.updated_at = clock_->Now();
      result = {it->second.spec.generation, true};
    }
    WakeAll();
    return result;
  }

  void WakeAll() {
    std::vector<std::function<void()>> wakes;
    {
      absl::MutexLock lock(&mu_);
      for (const auto& [id, wake] : subscribers_) {
        wakes.push_back(wake);
      }
    }
    for (const auto& wake : wakes) {
      wake();
    }
  }

  const base::Clock* clock_;
  mutable absl::Mutex mu_;
  std::map<controller::PreviewKey, controller::Preview> previews_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, std::function<void()>> subscribers_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace prevu::reconciler::fakes

// An in-memory DesiredStore for unit tests of the api around the store seam: it follows the
// store's generation rule and can be told to fail writes. HTTP-level tests use the real store.
#pragma once

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "controller/desired_store.h"

namespace prevu::api::testing {

class FakeDesiredStore : public controller::DesiredStore {
 public:
  // Every write fails with this status while it is not OK.
  void FailWrites(absl::Status status) {
    absl::MutexLock lock(&mu_);
    failure_ = std::move(status);
  }

  int writes() const {
    absl::MutexLock lock(&mu_);
    return writes_;
  }

  absl::StatusOr<controller::WriteResult> Upsert(const controller::PreviewKey& key,
                                                 const controller::SpecUpdate& update) override {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) {
      return failure_;
    }
    ++writes_;
    controller::Preview& preview = previews_[key];
    controller::PreviewSpec& spec = preview.spec;
    bool is_new = spec.generation == 0;
    bool changed = is_new || !spec.open || spec.head_sha != update.head_sha ||
                   spec.clone_url != update.clone_url;
    preview.key = key;
    spec.clone_url = update.clone_url;
    spec.head_sha = update.head_sha;
    spec.head_ref = update.head_ref;
    spec.base_ref = update.base_ref;
    spec.title = update.title;
    spec.author = update.author;
    spec.open = true;
    spec.generation += changed ? 1 : 0;
    return controller::WriteResult{spec.generation, changed};
  }

  absl::StatusOr<controller::WriteResult> Close(const controller::PreviewKey& key) override {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) {
      return failure_;
    }
    auto it = previews_.find(key);
    if (it == previews_.end()) {
      return absl::NotFoundError(key.ToString());
    }
    ++writes_;
    controller::PreviewSpec& spec = it->second.spec;
    bool changed = spec.open;
    spec.open = false;
    spec.generation += changed ? 1 : 0;
    return controller::WriteResult{spec.generation, changed};
  }

  absl::StatusOr<controller::WriteResult> Redeploy(const controller::PreviewKey& key) override {
    return absl::UnimplementedError(key.ToString());
  }

  absl::Status Forget(const controller::PreviewKey& key) override {
    absl::MutexLock lock(&mu_);
    previews_.erase(key);
    return absl::OkStatus();
  }

  std::optional<controller::Preview> Get(const controller::PreviewKey& key) const override {
    absl::MutexLock lock(&mu_);
    auto it = previews_.find(key);
    return it == previews_.end() ? std::nullopt : std::optional(it->second);
  }

  std::vector<controller::Preview> List() const override {
    absl::MutexLock lock(&mu_);
    std::vector<controller::Preview> all;
    for (const auto& [key, preview] : previews_) {
      all.push_back(preview);
    }
    return all;
  }

  void SetStatus(const controller::PreviewKey& key, controller::PreviewStatus status) override {
    absl::MutexLock lock(&mu_);
    previews_[key].status = std::move(status);
  }

  uint64_t Subscribe(std::function<void()>) override { return 0; }
  void Unsubscribe(uint64_t) override {}

 private:
  mutable absl::Mutex mu_;
  std::map<controller::PreviewKey, controller::Preview> previews_;
  absl::Status failure_;
  int writes_ = 0;
};

}  // namespace prevu::api::testing

// A bounded memory of recently handled delivery ids, so that a forge's redelivery of an event
// already recorded changes nothing. The oldest id is forgotten first.
#pragma once

#include <cstddef>
#include <deque>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace prevu::api {

// Thread-safe.
class DeliveryMemory {
 public:
  explicit DeliveryMemory(size_t capacity = 10'000) : capacity_(capacity) {}

  bool Contains(absl::string_view id) const;

  // Remembers `id`, forgetting the oldest one when full. Remembering an id twice keeps one.
  void Remember(absl::string_view id);

  size_t size() const;

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> ids_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);  // oldest first
};

}  // namespace prevu::api

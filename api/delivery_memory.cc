// The FIFO-bounded set of delivery ids; see delivery_memory.h.
#include "api/delivery_memory.h"

namespace prevu::api {

bool DeliveryMemory::Contains(absl::string_view id) const {
  absl::MutexLock lock(&mu_);
  return ids_.contains(id);
}

void DeliveryMemory::Remember(absl::string_view id) {
  absl::MutexLock lock(&mu_);
  if (capacity_ == 0 || !ids_.emplace(id).second) {
    return;
  }
  order_.emplace_back(id);
  if (order_.size() > capacity_) {
    ids_.erase(order_.front());
    order_.pop_front();
  }
}

size_t DeliveryMemory::size() const {
  absl::MutexLock lock(&mu_);
  return order_.size();
}

}  // namespace prevu::api

// The worker pool; see worker_pool.h.
#include "reconciler/worker_pool.h"

#include <algorithm>

namespace prevu::reconciler {

WorkerPool::WorkerPool(int threads) {
  int count = std::max(threads, 1);
  threads_.reserve(count);
  for (int i = 0; i < count; ++i) {
    threads_.emplace_back([this] { Work(); });
  }
}

WorkerPool::~WorkerPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    queue_.clear();
  }
  for (std::thread& thread : threads_) {
    thread.join();
  }
}

void WorkerPool::Post(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (!stopping_) {
    queue_.push_back(std::move(task));
  }
}

size_t WorkerPool::pending() const {
  absl::MutexLock lock(&mu_);
  return queue_.size() + running_;
}

void WorkerPool::Work() {
  auto has_work = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(&has_work));
      if (stopping_) {
        return;
      }
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }

    task();

    absl::MutexLock lock(&mu_);
    --running_;
  }
}

}  // namespace prevu::reconciler

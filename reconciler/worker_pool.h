// A fixed set of threads that run the reconciler's slow steps (fetch, build, start, health
// wait), so that at most `[reconcile] max_parallel_builds` of them run at once.
#pragma once

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace prevu::reconciler {

class WorkerPool {
 public:
  // Starts `threads` threads (at least one).
  explicit WorkerPool(int threads);

  // Stops: waits for the tasks already running, drops the ones not started.
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; it runs on one of the pool's threads. Thread-safe. After the destructor has
  // started, tasks are dropped.
  void Post(std::function<void()> task);

  // Tasks queued or running.
  size_t pending() const;

 private:
  void Work();

  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  size_t running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace prevu::reconciler

// The bounded tail of a build's or a container's output, kept for the status API's /logs.
// Lines are appended as they arrive; only the last `max_bytes` are kept, cut at a line start.
#pragma once

#include <cstddef>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace prevu::reconciler::build {

class LogTail {
 public:
  explicit LogTail(size_t max_bytes = 64 * 1024) : max_bytes_(max_bytes) {}

  // Appends one line (a newline is added). Thread-safe: a LogSink may call it from a build.
  void Append(absl::string_view line);

  // The kept text; it starts at the beginning of a line.
  std::string Text() const;

 private:
  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  std::string text_ ABSL_GUARDED_BY(mu_);
};

}  // namespace prevu::reconciler::build

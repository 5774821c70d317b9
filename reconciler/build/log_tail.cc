// See log_tail.h.
#include "reconciler/build/log_tail.h"

namespace prevu::reconciler::build {

void LogTail::Append(absl::string_view line) {
  absl::MutexLock lock(&mu_);
  text_.append(line.data(), line.size());
  text_.push_back('\n');

  // Trim in steps of a quarter, so that appending stays cheap on average.
  if (text_.size() > max_bytes_ + max_bytes_ / 4) {
    size_t cut = text_.size() - max_bytes_;
    size_t line_start = text_.find('\n', cut);
    text_.erase(0, line_start == std::string::npos ? cut : line_start + 1);
  }
}

std::string LogTail::Text() const {
  absl::MutexLock lock(&mu_);
  if (text_.size() <= max_bytes_) {
    return text_;
  }
  size_t cut = text_.size() - max_bytes_;
  size_t line_start = text_.find('\n', cut);
  return line_start == std::string::npos ? text_.substr(cut) : text_.substr(line_start + 1);
}

}  // namespace prevu::reconciler::build

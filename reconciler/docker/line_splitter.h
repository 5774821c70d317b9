// Splits a byte stream that arrives in arbitrary pieces into lines, with a bound on how much of
// one line is kept: a stream can never make it buffer more than `max_line` bytes.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"

namespace prevu::reconciler::docker {

class LineSplitter {
 public:
  using LineFn = std::function<void(absl::string_view line)>;

  explicit LineSplitter(size_t max_line = 64 * 1024) : max_line_(max_line) {}

  // Calls `on_line` for each complete line in `chunk` (without its "\n" or "\r\n"). A line
  // longer than max_line is cut there; the rest of it, up to its newline, is dropped.
  void Feed(absl::string_view chunk, const LineFn& on_line);

  // Hands over an unterminated last line, if any.
  void Flush(const LineFn& on_line);

 private:
  void Emit(const LineFn& on_line);

  size_t max_line_;
  std::string pending_;
  bool dropping_ = false;  // the current line was cut; skip to its end
};

}  // namespace prevu::reconciler::docker

// Decodes the multiplexed stream Docker sends for the logs of a container without a TTY: frames
// of an 8-byte header (stream byte: 0 stdin, 1 stdout, 2 stderr; three zero bytes; a big-endian
// 32-bit payload length) followed by the payload. Pieces may split frames anywhere; memory stays
// bounded by the longest line kept.
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "absl/strings/string_view.h"
#include "reconciler/docker/line_splitter.h"

namespace prevu::reconciler::docker {

class LogDemuxer {
 public:
  // Receives whole lines: `stream` is 1 for stdout and 2 for stderr.
  using LineFn = std::function<void(int stream, absl::string_view line)>;

  explicit LogDemuxer(LineFn on_line, size_t max_line = 64 * 1024);

  // Feeds the next piece of the stream.
  void Feed(absl::string_view chunk);

  // Hands over unterminated last lines of both streams.
  void Flush();

 private:
  LineSplitter& SplitterFor(int stream) { return stream == 2 ? stderr_ : stdout_; }

  LineFn on_line_;
  LineSplitter stdout_;
  LineSplitter stderr_;
  std::array<unsigned char, 8> header_{};
  size_t header_size_ = 0;  // bytes of the current header seen so far
  uint32_t remaining_ = 0;  // payload bytes of the current frame still to come
  int stream_ = 1;
};

}  // namespace prevu::reconciler::docker

// See log_demuxer.h.
#include "reconciler/docker/log_demuxer.h"

#include <algorithm>
#include <utility>

namespace prevu::reconciler::docker {

LogDemuxer::LogDemuxer(LineFn on_line, size_t max_line)
    : on_line_(std::move(on_line)), stdout_(max_line), stderr_(max_line) {}

void LogDemuxer::Feed(absl::string_view chunk) {
  while (!chunk.empty()) {
    if (remaining_ == 0) {
      size_t take = std::min(header_.size() - header_size_, chunk.size());
      std::copy_n(chunk.data(), take, header_.data() + header_size_);
      header_size_ += take;
      chunk.remove_prefix(take);
      if (header_size_ < header_.size()) {
        return;
      }
      stream_ = header_[0];
      remaining_ = uint32_t{header_[4]} << 24 | uint32_t{header_[5]} << 16 |
                   uint32_t{header_[6]} << 8 | uint32_t{header_[7]};
      header_size_ = 0;
      continue;
    }

    size_t take = std::min<size_t>(remaining_, chunk.size());
    int stream = stream_;
    SplitterFor(stream).Feed(chunk.substr(0, take),
                             [&](absl::string_view line) { on_line_(stream, line); });
    remaining_ -= take;
    chunk.remove_prefix(take);
  }
}

void LogDemuxer::Flush() {
  stdout_.Flush([&](absl::string_view line) { on_line_(1, line); });
  stderr_.Flush([&](absl::string_view line) { on_line_(2, line); });
}

}  // namespace prevu::reconciler::docker

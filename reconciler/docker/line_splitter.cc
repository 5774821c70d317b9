// See line_splitter.h.
#include "reconciler/docker/line_splitter.h"

namespace prevu::reconciler::docker {

void LineSplitter::Feed(absl::string_view chunk, const LineFn& on_line) {
  while (!chunk.empty()) {
    size_t newline = chunk.find('\n');
    absl::string_view piece = chunk.substr(0, newline);
    if (!dropping_) {
      size_t room = max_line_ - pending_.size();
      pending_.append(piece.data(), std::min(room, piece.size()));
      if (piece.size() > room) {
        Emit(on_line);
        dropping_ = true;
      }
    }
    if (newline == absl::string_view::npos) {
      return;
    }

    if (!dropping_) {
      Emit(on_line);
    }
    dropping_ = false;
    chunk.remove_prefix(newline + 1);
  }
}

void LineSplitter::Flush(const LineFn& on_line) {
  if (!pending_.empty()) {
    Emit(on_line);
  }
  dropping_ = false;
}

void LineSplitter::Emit(const LineFn& on_line) {
  absl::string_view line = pending_;
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  on_line(line);
  pending_.clear();
}

}  // namespace prevu::reconciler::docker

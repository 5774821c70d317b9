// A fixed-capacity byte buffer reused for the whole life of a connection: bytes are read in at
// the end and consumed from the front, and moved to the front only when the end is reached.
#pragma once

#include <cstring>
#include <memory>

#include "absl/strings/string_view.h"

namespace prevu::proxy {

class IoBuffer {
 public:
  explicit IoBuffer(size_t capacity) : data_(new char[capacity]), capacity_(capacity) {}

  absl::string_view readable() const { return absl::string_view(data_.get() + begin_, size()); }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return end_ == begin_; }
  bool full() const { return begin_ == 0 && end_ == capacity_; }

  void Consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) {
      begin_ = end_ = 0;
    }
  }

  // Room to read into, after moving the readable bytes to the front when the end is reached.
  char* space() {
    if (end_ == capacity_ && begin_ > 0) {
      std::memmove(data_.get(), data_.get() + begin_, size());
      end_ -= begin_;
      begin_ = 0;
    }
    return data_.get() + end_;
  }
  size_t space_size() const { return capacity_ - end_; }
  void Commit(size_t n) { end_ += n; }

 private:
  std::unique_ptr<char[]> data_;
  size_t capacity_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace prevu::proxy

// Follows a chunked body (RFC 9112 §7.1) byte by byte as it streams through, so the proxy knows
// where the body ends and can refuse a malformed chunk before forwarding it. It keeps no data.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"

namespace prevu::proxy {

class ChunkedDecoder {
 public:
  // Consumes bytes of the chunked body from `data` and returns how many belong to it: all of
  // them, or fewer when the body ends inside `data` (done() is then true) or when it is
  // malformed (failed() is then true, and the returned count covers only the valid bytes).
  size_t Scan(absl::string_view data);

  // Like Scan, and calls `on_data` with each run of chunk data (the decoded body).
  size_t Decode(absl::string_view data, absl::FunctionRef<void(absl::string_view)> on_data);

  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kFailed; }

  // Starts over for the next message.
  void Reset();

 private:
  enum class State {
    kSize,
    kAfterSize,
    kExtension,
    kSizeLf,
    kData,
    kDataCr,
    kDataLf,
    kTrailerStart,
    kTrailer,
    kTrailerLf,
    kEndLf,
    kDone,
    kFailed,
  };

  template <bool kDecode>
  size_t Run(absl::string_view data, absl::FunctionRef<void(absl::string_view)>* on_data);
  bool Step(char c);

  State state_ = State::kSize;
  uint64_t remaining_ = 0;  // bytes of chunk data still to come
  int size_digits_ = 0;
  size_t line_bytes_ = 0;  // of the current size line, or of the trailer section
};

}  // namespace prevu::proxy

// The chunked-body follower; see chunked_decoder.h.
#include "proxy/chunked_decoder.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace prevu::proxy {
namespace {

// A chunk size line (size and extensions) or the whole trailer section may not exceed these:
// nobody needs more, and an endless line would otherwise be read forever.
constexpr size_t kMaxSizeLine = 4096;
constexpr size_t kMaxTrailerBytes = 16 * 1024;
// 15 hex digits is 2^60 bytes: more than any body, and safe from overflow.
constexpr int kMaxSizeDigits = 15;

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// Bytes allowed inside a chunk extension or a trailer line: no control characters but HTAB.
bool LineChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

}  // namespace

void ChunkedDecoder::Reset() {
  state_ = State::kSize;
  remaining_ = 0;
  size_digits_ = 0;
  line_bytes_ = 0;
}

size_t ChunkedDecoder::Scan(absl::string_view data) { return Run<false>(data, nullptr); }

size_t ChunkedDecoder::Decode(absl::string_view data,
                              absl::FunctionRef<void(absl::string_view)> on_data) {
  return Run<true>(data, &on_data);
}

template <bool kDecode>
size_t ChunkedDecoder::Run(absl::string_view data,
                           absl::FunctionRef<void(absl::string_view)>* on_data) {
  size_t i = 0;
  while (i < data.size() && state_ != State::kDone && state_ != State::kFailed) {
    // Chunk data is skipped in one step, so a large body costs nothing per byte.
    if (state_ == State::kData) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size() - i));
      if constexpr (kDecode) {
        (*on_data)(data.substr(i, n));
      }
      i += n;
      remaining_ -= n;
      if (remaining_ == 0) {
        state_ = State::kDataCr;
      }
      continue;
    }
    if (!Step(data[i])) {
      state_ = State::kFailed;
      return i;
    }
    ++i;
  }
  return i;
}

// One byte of framing. Returns false when the byte is not allowed where it stands.
bool ChunkedDecoder::Step(char c) {
  switch (state_) {
    case State::kSize: {
      int digit = HexValue(c);
      if (digit >= 0 && size_digits_ < kMaxSizeDigits) {
        remaining_ = remaining_ * 16 + digit;
        ++size_digits_;
        return true;
      }
      if (size_digits_ == 0 || digit >= 0) {
        return false;  // no digits at all, or too many
      }
      state_ = State::kAfterSize;
      line_bytes_ = size_digits_;
      return Step(c);
    }
    case State::kAfterSize:
      // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ): after the size only
      // whitespace, the first ";" or the end of the line may come.
      if (c == '\r') {
        state_ = State::kSizeLf;
        return true;
      }
      if (c == ';') {
        state_ = State::kExtension;
      }
      return (c == ';' || c == ' ' || c == '\t') && ++line_bytes_ <= kMaxSizeLine;
    case State::kExtension:
      if (c == '\r') {
        state_ = State::kSizeLf;
        return true;
      }
      return LineChar(c) && ++line_bytes_ <= kMaxSizeLine;
    case State::kSizeLf:
      if (c != '\n') {
        return false;
      }
      size_digits_ = 0;
      line_bytes_ = 0;
      state_ = remaining_ == 0 ? State::kTrailerStart : State::kData;
      return true;
    case State::kDataCr:
      state_ = State::kDataLf;
      return c == '\r';
    case State::kDataLf:
      state_ = State::kSize;
      return c == '\n';
    case State::kTrailerStart:
      state_ = c == '\r' ? State::kEndLf : State::kTrailer;
      return c == '\r' ||
             (LineChar(c) && c != ' ' && c != '\t' && ++line_bytes_ <= kMaxTrailerBytes);
    case State::kTrailer:
      if (c == '\r') {
        state_ = State::kTrailerLf;
        return true;
      }
      return LineChar(c) && ++line_bytes_ <= kMaxTrailerBytes;
    case State::kTrailerLf:
      state_ = State::kTrailerStart;
      return c == '\n';
    case State::kEndLf:
      state_ = State::kDone;
      return c == '\n';
    default:
      return false;
  }
}

}  // namespace prevu::proxy

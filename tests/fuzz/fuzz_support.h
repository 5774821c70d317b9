// What the fuzz targets share: taking one input apart into the several values a parser needs,
// cutting a stream into the pieces a socket might deliver, and stopping loudly when an invariant
// breaks so that the driver (or libFuzzer) keeps the input that broke it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "absl/strings/string_view.h"

// Stops the run when `condition` is false. A trap rather than an assert: it stays on in every
// build type, and both the driver and libFuzzer treat it as a crash and keep the input.
#define FUZZ_CHECK(condition)                                                                \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition); \
      __builtin_trap();                                                                      \
    }                                                                                        \
  } while (false)

namespace prevu::fuzz {

// Reads one fuzz input as a sequence of values. Lines keep seeds readable: a seed for an event
// parser is the header value on the first line and the body after it.
class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

  // The text up to the next '\n', without it; everything left when there is none.
  absl::string_view Line() {
    size_t end = rest_.find('\n');
    absl::string_view line = rest_.substr(0, end);
    rest_.remove_prefix(end == absl::string_view::npos ? rest_.size() : end + 1);
    return line;
  }

  // The next byte, or 0 when the input is used up.
  uint8_t Byte() {
    if (rest_.empty()) {
      return 0;
    }
    uint8_t byte = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return byte;
  }

  // Everything not taken yet.
  absl::string_view Rest() const { return rest_; }

 private:
  absl::string_view rest_;
};

// Cuts `text` into pieces of 1 to 16 bytes, now and then larger, as reads from a socket might
// return them. The cuts follow from the bytes themselves, so a given input is always cut the
// same way and a crash replays, while a mutated input is cut differently.
inline std::vector<absl::string_view> Pieces(absl::string_view text) {
  uint64_t state = 1469598103934665603u;  // FNV-1a offset basis, then one round per byte
  for (char c : text) {
    state = (state ^ static_cast<uint8_t>(c)) * 1099511628211u;
  }

  std::vector<absl::string_view> pieces;
  while (!text.empty()) {
    state = state * 6364136223846793005u + 1442695040888963407u;  // Knuth's MMIX LCG
    uint64_t bits = state >> 33;
    size_t size = (bits & 7) == 0 ? 1 + (bits >> 3) % 512 : 1 + (bits >> 3) % 16;
    pieces.push_back(text.substr(0, size));
    text.remove_prefix(pieces.back().size());
  }
  return pieces;
}

// True when `inner` lies within `outer`: a parser that returns views must point into its input.
inline bool Within(absl::string_view inner, absl::string_view outer) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

// True for a full commit id as git takes it: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.
inline bool IsCommitId(absl::string_view sha) {
  return (sha.size() == 40 || sha.size() == 64) &&
         sha.find_first_not_of("0123456789abcdef") == absl::string_view::npos;
}

}  // namespace prevu::fuzz

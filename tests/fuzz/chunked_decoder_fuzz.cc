// Fuzzes the chunked body decoder the proxy runs over every chunked message: where the body ends,
// whether it is malformed and what it decodes to must not depend on how the bytes arrive, and
// Scan (used when only framing matters) must agree with Decode.
#include <string>

#include "proxy/chunked_decoder.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

struct Outcome {
  size_t used = 0;
  bool done = false;
  bool failed = false;
  std::string body;

  bool operator==(const Outcome&) const = default;
};

Outcome Finish(const prevu::proxy::ChunkedDecoder& decoder, size_t used, std::string body) {
  return Outcome{used, decoder.done(), decoder.failed(), std::move(body)};
}

// Feeds the pieces as the proxy does: each read until the decoder stops taking bytes.
Outcome DecodeInPieces(prevu::proxy::ChunkedDecoder* decoder, absl::string_view text) {
  std::string body;
  size_t used = 0;
  for (absl::string_view piece : prevu::fuzz::Pieces(text)) {
    size_t n = decoder->Decode(
        piece, [&](absl::string_view data) { body.append(data.data(), data.size()); });
    FUZZ_CHECK(n <= piece.size());
    used += n;
    if (n < piece.size()) {
      // Only the end of the body or an error may leave bytes of a read unconsumed.
      FUZZ_CHECK(decoder->done() || decoder->failed());
      break;
    }
  }
  return Finish(*decoder, used, std::move(body));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);

  prevu::proxy::ChunkedDecoder whole;
  std::string body;
  size_t used =
      whole.Decode(text, [&](absl::string_view piece) { body.append(piece.data(), piece.size()); });
  Outcome expected = Finish(whole, used, std::move(body));
  FUZZ_CHECK(expected.used <= size && !(expected.done && expected.failed));
  // Chunk data is a part of the bytes consumed, never more.
  FUZZ_CHECK(expected.body.size() <= expected.used);

  prevu::proxy::ChunkedDecoder split;
  FUZZ_CHECK(DecodeInPieces(&split, text) == expected);

  prevu::proxy::ChunkedDecoder scanner;
  size_t scanned = scanner.Scan(text);
  FUZZ_CHECK(scanned == expected.used && scanner.done() == expected.done &&
             scanner.failed() == expected.failed);

  // Reset must forget everything, including a failure: the same bytes give the same outcome.
  split.Reset();
  FUZZ_CHECK(DecodeInPieces(&split, text) == expected);
  return 0;
}

// The framing shared by the journal and the snapshot: each record is
//
//   [u32 length][u32 crc32c of the length bytes and the payload][payload]
//
// with both integers little-endian. A reader trusts a record only when its whole frame is present
// and its checksum matches, so a torn write or a flipped bit ends the usable part of a file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace prevu::controller::store {

inline constexpr size_t kFrameHeaderBytes = 8;
// Larger lengths are taken as damage: a preview record is a few hundred bytes.
inline constexpr uint32_t kMaxFramePayload = 16 << 20;

// Appends the frame of `payload` (1 to kMaxFramePayload bytes) to `out`.
void AppendFrame(absl::string_view payload, std::string* out);

// Walks the frames of a buffer, normally a whole file, and stops at the first one that is not
// whole and intact. Does not own the buffer; never reads outside it, whatever it holds.
class FrameReader {
 public:
  explicit FrameReader(absl::string_view data) : data_(data) {}

  // The payload of the next intact frame, or nullopt at the end of the buffer or at damage.
  std::optional<absl::string_view> Next();

  // Where the frame last returned by Next() starts.
  size_t frame_start() const { return frame_start_; }
  // Where the intact frames end: everything from here on is damaged or absent.
  size_t valid_end() const { return valid_end_; }
  // Empty when the buffer ended cleanly at a frame border, otherwise what was wrong with the
  // first frame not returned ("short header", "short payload", "bad length", "bad checksum").
  absl::string_view damage() const { return damage_; }

 private:
  absl::string_view data_;
  size_t frame_start_ = 0;
  size_t valid_end_ = 0;
  absl::string_view damage_;
};

}  // namespace prevu::controller::store

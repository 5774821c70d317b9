// Record framing; see frame_reader.h.
#include "controller/store/frame_reader.h"

#include "controller/store/crc32c.h"

namespace prevu::controller::store {
namespace {

void AppendU32(uint32_t v, std::string* out) {
  for (int shift = 0; shift < 32; shift += 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

uint32_t ReadU32(absl::string_view bytes) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return v;
}

}  // namespace

void AppendFrame(absl::string_view payload, std::string* out) {
  std::string length;
  AppendU32(static_cast<uint32_t>(payload.size()), &length);

  // The checksum covers the length too, so a damaged length is caught even when it still points
  // inside the file.
  uint32_t crc = Crc32cExtend(Crc32c(length), payload);
  out->append(length);
  AppendU32(crc, out);
  out->append(payload.data(), payload.size());
}

std::optional<absl::string_view> FrameReader::Next() {
  absl::string_view rest = data_.substr(valid_end_);
  if (rest.empty()) {
    return std::nullopt;
  }
  if (rest.size() < kFrameHeaderBytes) {
    damage_ = "short header";
    return std::nullopt;
  }

  uint32_t length = ReadU32(rest.substr(0, 4));
  uint32_t crc = ReadU32(rest.substr(4, 4));
  if (length == 0 || length > kMaxFramePayload) {
    damage_ = "bad length";
    return std::nullopt;
  }
  if (rest.size() - kFrameHeaderBytes < length) {
    damage_ = "short payload";
    return std::nullopt;
  }

  absl::string_view payload = rest.substr(kFrameHeaderBytes, length);
  if (Crc32cExtend(Crc32c(rest.substr(0, 4)), payload) != crc) {
    damage_ = "bad checksum";
    return std::nullopt;
  }
  frame_start_ = valid_end_;
  valid_end_ += kFrameHeaderBytes + length;
  return payload;
}

}  // namespace prevu::controller::store

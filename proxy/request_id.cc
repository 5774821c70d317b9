// Request id generation; see request_id.h.
#include "proxy/request_id.h"

#include <random>

namespace prevu::proxy {

RequestIdGenerator::RequestIdGenerator() {
  std::random_device device;
  state_ = (static_cast<uint64_t>(device()) << 32) ^ device();
}

// splitmix64: fast, and every 64-bit state gives a distinct output. Ids need to be unique, not
// secret.
uint64_t RequestIdGenerator::NextWord() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

absl::string_view RequestIdGenerator::Next(char* buffer) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t word = 0; word < kLength / 16; ++word) {
    uint64_t bits = NextWord();
    for (size_t i = 0; i < 16; ++i) {
      buffer[word * 16 + i] = kHex[(bits >> (i * 4)) & 0xf];
    }
  }
  return absl::string_view(buffer, kLength);
}

}  // namespace prevu::proxy

// CompactId; see compact_id.h.
#include "reconciler/compact_id.h"

#include <cstring>
#include <functional>

#include "absl/strings/strip.h"

namespace prevu::reconciler {
namespace {

constexpr absl::string_view kDockerPrefix = "sha256:";
constexpr char kDigits[] = "0123456789abcdef";

// Folds a word into a hash with a 128-bit multiply.
uint64_t Mix(uint64_t x) {
  unsigned __int128 product = static_cast<unsigned __int128>(x) * 0x9e3779b97f4a7c15ULL;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

// 0 to 15 for a lower-case hexadecimal digit, -1 for anything else (upper case too: a text has
// one form only).
int DigitValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

bool IsHex(absl::string_view text, size_t max_digits) {
  if (text.empty() || text.size() > max_digits) {
    return false;
  }
  for (char c : text) {
    if (DigitValue(c) < 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

CompactId::CompactId(absl::string_view text) : hash_(0) {
  absl::string_view digits = text;
  bool docker = absl::ConsumePrefix(&digits, kDockerPrefix);
  if (IsHex(digits, 2 * kInline)) {
    form_ = docker ? Form::kDockerHex : Form::kHex;
    size_ = static_cast<uint8_t>(digits.size());
    for (size_t i = 0; i < digits.size(); ++i) {
      int shift = i % 2 == 0 ? 4 : 0;
      bytes_[i / 2] |= static_cast<uint8_t>(DigitValue(digits[i]) << shift);
    }
  } else if (text.size() <= kInline) {
    size_ = static_cast<uint8_t>(text.size());
    if (!text.empty()) {  // an empty view may hold no pointer, which memcpy must not be given
      std::memcpy(bytes_.data(), text.data(), text.size());
    }
  } else {
    form_ = Form::kLong;
    long_ = std::make_unique<const std::string>(text);
  }
  hash_ = ComputeHash();
}

uint32_t CompactId::EmptyHash() {
  static const uint32_t hash = CompactId(absl::string_view()).hash_;
  return hash;
}

uint32_t CompactId::ComputeHash() const {
  static const char anchor = 0;  // its address seeds the hash
  uint64_t hash =
      reinterpret_cast<uintptr_t>(&anchor) ^ (static_cast<uint64_t>(form_) << 8 | size_);
  for (size_t i = 0; i < kInline; i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes_.data() + i, 8);
    hash = Mix(hash ^ word);
  }
  if (form_ == Form::kLong) {
    hash = Mix(hash ^ std::hash<std::string>()(*long_));
  }
  return static_cast<uint32_t>(hash ^ (hash >> 32));
}

CompactId& CompactId::operator=(const CompactId& other) {
  if (this != &other) {
    *this = CompactId(other);
  }
  return *this;
}

std::string CompactId::str() const {
  switch (form_) {
    case Form::kText:
      return std::string(reinterpret_cast<const char*>(bytes_.data()), size_);
    case Form::kLong:
      return *long_;
    case Form::kHex:
    case Form::kDockerHex:
      break;
  }

  std::string text(form_ == Form::kDockerHex ? kDockerPrefix : "");
  text.reserve(text.size() + size_);
  for (size_t i = 0; i < size_; ++i) {
    int shift = i % 2 == 0 ? 4 : 0;
    text.push_back(kDigits[(bytes_[i / 2] >> shift) & 0xf]);
  }
  return text;
}

}  // namespace prevu::reconciler

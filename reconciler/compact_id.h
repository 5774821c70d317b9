// CompactId: the identifiers a reconcile pass compares by the tens of thousands (preview keys,
// Docker's container and image ids, spec hashes), held inside the object that owns them. As
// std::strings they live on the heap, and at 10,000 previews every comparison of two waited on
// memory for both; two CompactIds compare, and one hashes, without following a pointer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/string_view.h"

namespace prevu::reconciler {

// Holds any text exactly. Lower-case hexadecimal of up to 96 digits (Docker's ids, spec
// hashes), with or without Docker's "sha256:" before it, is kept as the bytes the digits spell;
// other text of up to 48 bytes (a preview key such as "github:acme/shop#12") as it is; anything
// longer on the heap. One text has one form, so equal texts give equal ids. A value type,
// one cache line in size and aligned to one, so that comparing or hashing an id reads one line,
// never two.
class alignas(64) CompactId {
 public:
  CompactId() : hash_(EmptyHash()) {}
  // Implicit, so that a text reads as an id wherever one is expected.
  CompactId(absl::string_view text);  // NOLINT(google-explicit-constructor)
  CompactId(const std::string& text) : CompactId(absl::string_view(text)) {}  // NOLINT
  CompactId(const char* text) : CompactId(absl::string_view(text)) {}         // NOLINT

  CompactId(const CompactId& other)
      : form_(other.form_), size_(other.size_), hash_(other.hash_), bytes_(other.bytes_) {
    if (other.long_ != nullptr) {
      long_ = std::make_unique<const std::string>(*other.long_);
    }
  }
  CompactId& operator=(const CompactId& other);
  CompactId(CompactId&&) noexcept = default;
  CompactId& operator=(CompactId&&) noexcept = default;
  ~CompactId() = default;

  bool empty() const { return form_ == Form::kText && size_ == 0; }
  void clear() { *this = CompactId(); }
  // The text it was made from.
  std::string str() const;

  // For hash tables of ids (absl::flat_hash_map<CompactId, V, CompactId::Hasher>). Computed
  // once, when the id is made: a pass hashes the ids the loop keeps (preview keys) again and
  // again. Seeded per process, so that chosen names cannot degrade a table the same way on every
  // run.
  size_t Hash() const { return hash_; }
  struct Hasher {
    size_t operator()(const CompactId& id) const { return id.Hash(); }
  };

  // Word by word, without a call to memcmp: most ids that differ differ in their hash.
  friend bool operator==(const CompactId& a, const CompactId& b) {
    if (a.hash_ != b.hash_ || a.form_ != b.form_ || a.size_ != b.size_) {
      return false;
    }
    uint64_t differ = 0;
    for (size_t i = 0; i < kInline; i += 8) {
      uint64_t x;
      uint64_t y;
      std::memcpy(&x, a.bytes_.data() + i, 8);
      std::memcpy(&y, b.bytes_.data() + i, 8);
      differ |= x ^ y;
    }
    return differ == 0 && (a.form_ != Form::kLong || *a.long_ == *b.long_);
  }
  friend bool operator!=(const CompactId& a, const CompactId& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& out, const CompactId& id) {
    return out << id.str();
  }

 private:
  enum class Form : uint8_t { kText, kHex, kDockerHex, kLong };
  static constexpr size_t kInline = 48;

  static uint32_t EmptyHash();
  // Mixes the form, the size, the inline bytes and a long text into 32 bits.
  uint32_t ComputeHash() const;

  Form form_ = Form::kText;
  uint8_t size_ = 0;  // kText: bytes; kHex, kDockerHex: digits; kLong: 0
  uint32_t hash_;
  // kText: the bytes; kHex, kDockerHex: two digits per byte, the first in the high half. Unused
  // bytes are zero, so that equal ids have equal arrays.
  std::array<uint8_t, kInline> bytes_{};
  std::unique_ptr<const std::string> long_;  // kLong: the text
};

}  // namespace prevu::reconciler

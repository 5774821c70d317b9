// Request ids for X-Request-Id: 32 hexadecimal digits from a per-thread generator, so making one
// takes no lock and no system call.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"

namespace prevu::proxy {

class RequestIdGenerator {
 public:
  static constexpr size_t kLength = 32;

  // Seeds from the operating system's randomness; ids from two generators do not collide in
  // practice. Not thread-safe: each proxy thread owns one.
  RequestIdGenerator();

  // Writes a new id into `buffer` (kLength bytes) and returns a view of it.
  absl::string_view Next(char* buffer);

 private:
  uint64_t NextWord();

  uint64_t state_;
};

}  // namespace prevu::proxy

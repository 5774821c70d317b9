// CRC-32C (Castagnoli, polynomial 0x1EDC6F41), the checksum that frames every journal and
// snapshot record. Uses the SSE 4.2 instruction when the processor has it, a table otherwise; both
// give the same values (RFC 3720, appendix B.4).
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"

namespace prevu::controller::store {

// Continues `crc` (the value returned for the preceding bytes, 0 for none) over `data`.
uint32_t Crc32cExtend(uint32_t crc, absl::string_view data);

inline uint32_t Crc32c(absl::string_view data) { return Crc32cExtend(0, data); }

}  // namespace prevu::controller::store

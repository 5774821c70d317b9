// The first record of the journal and of the snapshot, which says what the file is and which
// journal sequence number it belongs to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace prevu::controller::store {

struct FileHeader {
  std::string kind;   // "journal" or "snapshot"
  int64_t seq = 0;    // journal: its number; snapshot: the number of the journal that follows it
  int64_t count = 0;  // snapshot: how many records follow; journal: 0
};

std::string EncodeFileHeader(const FileHeader& header);

// nullopt unless `payload` is a header of `kind` with a positive sequence number.
std::optional<FileHeader> DecodeFileHeader(absl::string_view payload, absl::string_view kind);

}  // namespace prevu::controller::store

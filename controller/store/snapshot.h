// The snapshot, `<dir>/snapshot`: every spec in the store at one moment, followed on disk by the
// journal numbered `journal_seq`. Written whole to a temporary file, synced, and renamed into
// place, so it is never seen half-written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/store/spec_record.h"

namespace prevu::controller::store {

struct Snapshot {
  int64_t journal_seq = 1;
  std::vector<SpecRecord> records;  // one per preview, none a tombstone

  // Reads `<dir>/snapshot`; an empty snapshot continued by journal 1 when there is none. A
  // damaged snapshot (only a failing disk makes one) is logged as an error, kept beside it as
  // `snapshot.damaged`, and its intact records are returned. Errors only when it cannot be read.
  static absl::StatusOr<Snapshot> Read(const std::string& dir);

  // Replaces `<dir>/snapshot` durably with this one.
  absl::Status Write(const std::string& dir) const;
};

}  // namespace prevu::controller::store

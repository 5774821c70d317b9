// The payload of one journal or snapshot record: the whole spec of a preview after a change, or a
// tombstone when the preview was forgotten. Encoded as compact JSON so that a damaged file can
// still be read by a person.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "controller/preview.h"

namespace prevu::controller::store {

struct SpecRecord {
  PreviewKey key;
  std::optional<PreviewSpec> spec;  // nullopt: the preview was forgotten
};

// InvalidArgument when a field is not valid UTF-8.
absl::StatusOr<std::string> EncodeSpecRecord(const SpecRecord& record);

// InvalidArgument, naming what is wrong, when `payload` is not a record this version wrote.
absl::StatusOr<SpecRecord> DecodeSpecRecord(absl::string_view payload);

}  // namespace prevu::controller::store

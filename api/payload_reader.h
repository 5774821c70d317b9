// Reads the fields of a webhook payload by dotted path ("pull_request.head.sha"), so that every
// missing or mistyped field is reported by its full name and the receivers read as a list of
// the fields they need.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace prevu::api {

class PayloadReader {
 public:
  // Validates `body` and keeps only the values at `paths` (dotted, outside arrays), or every
  // value outside arrays when `paths` is empty (see JsonScanner). InvalidArgument when `body` is
  // not valid JSON, saying where, or not a JSON object.
  static absl::StatusOr<PayloadReader> Parse(absl::string_view body,
                                             const std::vector<absl::string_view>& paths = {});

  // A string field; InvalidArgument "missing field `a.b`" or "field `a.b` must be a string".
  absl::StatusOr<std::string> String(absl::string_view path) const;

  // A string field that may be absent or null; "" then.
  absl::StatusOr<std::string> OptionalString(absl::string_view path) const;

  // A positive integer field (a request number).
  absl::StatusOr<int64_t> PositiveInt(absl::string_view path) const;

  // A repository path: segments of letters, digits, '.', '_' and '-' joined by '/', none of
  // them "." or "..", as both forges allow. It ends up in labels, host names and file names.
  absl::StatusOr<std::string> RepoPath(absl::string_view path) const;

  // A full commit id: 40 (SHA-1) or 64 (SHA-256) hex digits, lower-cased. It is handed to git.
  absl::StatusOr<std::string> CommitSha(absl::string_view path) const;

  // A clone URL; one starting with '-' is refused so that git can never read it as an option.
  absl::StatusOr<std::string> CloneUrl(absl::string_view path) const;

  // True when the field exists and is not null.
  bool Has(absl::string_view path) const;

  // Stores a field read with one of the functions above in `out`, or keeps its error, so that
  // a receiver reads every field it needs and then reports every problem at once (Problems()).
  template <typename T>
  void Take(absl::StatusOr<T> value, T* out) {
    if (value.ok()) {
      *out = *std::move(value);
    } else {
      problems_.emplace_back(value.status().message());
    }
  }

  // OK, or InvalidArgument listing what Take() found wrong, separated by "; ".
  absl::Status Problems() const;

 private:
  PayloadReader() = default;

  // The field at `path`, or null when it is missing. Objects and arrays are stored empty.
  const nlohmann::json* Find(absl::string_view path) const;

  absl::flat_hash_map<std::string, nlohmann::json> fields_;
  std::vector<std::string> problems_;
};

}  // namespace prevu::api

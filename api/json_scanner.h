// A strict JSON (RFC 8259) reader for webhook payloads: it validates the whole document but keeps
// only the values at the dotted paths it is asked for. A GitHub pull_request payload is ~28 KB of
// which Prevu reads ten fields; building a document of it costs more than the rest of a delivery.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace prevu::api {

// Immutable after construction; Scan() may run on many threads at once.
class JsonScanner {
 public:
  // Keeps the values at `paths` ("pull_request.head.sha"), or every value outside arrays when
  // `paths` is empty. Values inside arrays are never kept.
  explicit JsonScanner(const std::vector<absl::string_view>& paths);

  // Validates `text` (UTF-8, at most kMaxDepth levels of nesting) and stores each kept value in
  // `fields` under its path: scalars as themselves, objects and arrays as empty ones. Errors are
  // InvalidArgument: "the body is not valid JSON (byte N: reason)", or "the body must be a JSON
  // object" when the document is valid but its root is not an object.
  absl::Status Scan(absl::string_view text,
                    absl::flat_hash_map<std::string, nlohmann::json>* fields) const;

  static constexpr int kMaxDepth = 256;

 private:
  friend class JsonScan;

  bool keep_all_;
  absl::flat_hash_set<std::string> wanted_;    // paths whose values are kept
  absl::flat_hash_set<std::string> prefixes_;  // paths of objects that hold a wanted path
};

}  // namespace prevu::api

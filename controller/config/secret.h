// A secret from configuration: written `env:NAME`, `file:PATH` or literally, resolved once at
// load time. It prints as "<redacted>" so it cannot leak into a log line or an API answer.
#pragma once

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace prevu::controller {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  // Resolves `env:NAME` (NotFound if unset or empty), `file:PATH` (the file's contents without a
  // trailing newline; NotFound or PermissionDenied if unreadable) or returns the text itself.
  static absl::StatusOr<Secret> Resolve(absl::string_view spec);

  // The secret itself, for comparing and signing only.
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "<redacted>"; }
  // For Abseil releases with AbslStringify; Debian's 20220623 has none, so there StrCat (and
  // log::Line::With) refuse a Secret at compile time.
  template <typename Sink>
  friend void AbslStringify(Sink& sink, const Secret&) {
    sink.Append("<redacted>");
  }

 private:
  std::string value_;
};

}  // namespace prevu::controller

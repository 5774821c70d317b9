// Files that hold secrets (the account key, certificate keys): written whole or not at all, with
// the mode asked for from the first byte, and checked for a mode that lets others read them.
#pragma once

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace prevu::proxy::acme {

// Creates `dir` and its missing parents; the ones it creates get mode 0700. An existing `dir` is
// left as it is. Internal error with the path when it cannot.
absl::Status MakePrivateDirectory(const std::string& dir);

// Replaces `path` atomically with `content`: a temporary file created with `mode`, synced, then
// renamed over it. A reader sees the old file or the new one, never a part.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view content, mode_t mode);

// The whole file. NotFound when it does not exist, Internal on other errors.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// FailedPrecondition, naming the file and its mode, when `path` can be read or written by its
// group or by others; OK for mode 0600 or stricter.
absl::Status CheckOwnerOnly(const std::string& path);

}  // namespace prevu::proxy::acme

// `prevu check [FILE]`: validates a configuration file and reports every problem in it.
#pragma once

#include <ostream>

#include "absl/strings/string_view.h"

namespace prevu::controller {

// The file checked when `prevu check` is given none.
inline constexpr absl::string_view kDefaultCheckPath = "./.prevu.toml";

// Checks the file at `path` (kDefaultCheckPath when empty). A file named `prevu.toml` is checked
// as a host configuration; any other name, `.prevu.toml` above all, as a repository
// configuration. Prints `ok` to `out` and returns 0 when the file is valid. Otherwise prints one
// "FILE:LINE:COL: message" line per problem to `out` (they are the answer, so that they can be
// piped) and returns 1. A file that cannot be read gives one line on `err` and 1.
int RunCheck(absl::string_view path, std::ostream& out, std::ostream& err);

}  // namespace prevu::controller

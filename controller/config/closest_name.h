// Spelling suggestions for configuration errors ("did you mean `port`?").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace prevu::controller {

// The candidate nearest to `name` by edit distance (insertions, deletions, substitutions and
// swaps of neighbours, ignoring case), when it is near enough to be a likely typo: at most a
// third of the longer word, and at least one edit is always tolerated. Ties go to the earlier
// candidate.
std::optional<std::string> ClosestName(absl::string_view name,
                                       const std::vector<std::string>& candidates);

// The edit distance used by ClosestName; exposed for tests.
int EditDistance(absl::string_view a, absl::string_view b);

}  // namespace prevu::controller

// Reading what a fetched tree says about itself: its `.prevu.toml` and where its build context
// is. Both refuse to be led outside the tree by symbolic links.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "controller/config/repo_config.h"

namespace prevu::reconciler::build {

// The `.prevu.toml` at the root of `tree_dir`, or the defaults when there is none.
// InvalidArgument with one "`.prevu.toml`:LINE:COL: message" line per problem when it is invalid;
// FailedPrecondition when it is not a regular file (a link, say) or larger than 1 MiB.
absl::StatusOr<controller::RepoConfig> LoadTreeConfig(const std::string& tree_dir);

// The absolute build context directory that `build.context` names inside `tree_dir`.
// InvalidArgument when it leaves the tree (through `..` or a link) or is not a directory.
absl::StatusOr<std::string> ContextDir(const std::string& tree_dir,
                                       const controller::BuildSettings& build);

}  // namespace prevu::reconciler::build

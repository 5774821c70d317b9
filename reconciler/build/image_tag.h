// The tag of a preview's image: `prevu/<repo>:<number>-<sha12>`, with the repository path made
// into a valid Docker image name.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace prevu::reconciler::build {

// "prevu/acme/shop:12-0123456789ab" for repo "Acme/Shop", request 12 and that commit.
std::string ImageTag(absl::string_view repo, int64_t number, absl::string_view sha);

// A repository path as image name components: lower case; `/` separates components; runs of
// other characters become a single "-"; separators are never at either end of a component, and
// empty components are dropped ("unnamed" if nothing is left).
std::string SanitizeImageName(absl::string_view repo);

}  // namespace prevu::reconciler::build

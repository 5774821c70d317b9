// The fetch step's seam: how the loop gets the tree of one commit onto disk. The git command
// line implementation (reconciler/git/) is adapted to it; unit tests of the loop use a fake.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "controller/config/secret.h"
#include "controller/preview.h"
#include "reconciler/runtime.h"

namespace prevu::reconciler {

struct SourceRequest {
  std::string clone_url;
  std::string sha;  // the exact commit wanted
  std::string ref;  // the branch, a last resort when the server serves no commit by id
  int64_t number = 0;
  controller::Provider provider = controller::Provider::kGitHub;
  std::optional<controller::Secret> token;  // for private repositories; never logged
  std::string dest_dir;  // created by Fetch; must not exist; removed again on failure
};

class SourceFetcher {
 public:
  virtual ~SourceFetcher() = default;

  // Puts the tree of `request.sha` into `request.dest_dir`. Blocks; called from the worker pool,
  // possibly from several threads at once. The error says what went wrong in words a user can
  // act on (git's own message, secrets removed); Cancelled when `cancel` fired.
  virtual absl::Status Fetch(const SourceRequest& request, const CancelToken& cancel) = 0;
};

}  // namespace prevu::reconciler

// Runs a program as a child process without a shell: its own process group (so that a timeout
// kills its helpers too), stdin from /dev/null, stdout and stderr captured together (the last
// 64 KiB are kept), and exactly the environment the caller gives.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "reconciler/runtime.h"

namespace prevu::reconciler::git {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string output;  // stdout and stderr, interleaved as written; the last 64 KiB
};

class ChildProcess {
 public:
  // Runs `argv` (argv[0] is looked up in PATH) in `cwd` with `env` ("NAME=value" entries) and
  // waits for it. DeadlineExceeded after `timeout` and Cancelled when `cancel` fires, in both
  // cases after killing the whole process group; Internal when it cannot be started. A program
  // that runs and fails is not an error here: see exit_code.
  static absl::StatusOr<ProcessResult> Run(const std::vector<std::string>& argv,
                                           const std::vector<std::string>& env,
                                           const std::string& cwd, absl::Duration timeout,
                                           const CancelToken* cancel);
};

}  // namespace prevu::reconciler::git

// Fetches exactly one commit of a repository, shallowly, into a fresh directory, with the git
// command line. A token for a private repository travels only in git's environment (never on a
// command line, in a log or in an error message).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "controller/config/secret.h"
#include "controller/preview.h"
#include "reconciler/runtime.h"

namespace prevu::reconciler::git {

struct FetchRequest {
  std::string url;  // https://, http://, ssh://, git:// or file://
  std::string sha;  // the commit wanted: 40 (or 64) hexadecimal digits
  controller::Provider provider = controller::Provider::kGitHub;
  int64_t number = 0;    // the request, for refs/pull/N/head or refs/merge-requests/N/head
  std::string head_ref;  // the branch, the last resort
  std::optional<controller::Secret> token;  // sent to https:// URLs only
  std::string dir;                          // created by Fetch; must not exist yet; its parent must
};

class GitFetcher {
 public:
  struct Options {
    std::string git = "git";                    // the program to run
    absl::Duration timeout = absl::Minutes(5);  // for the whole fetch
    std::map<std::string, std::string> config;  // extra git configuration, e.g. http.proxy
  };

  explicit GitFetcher(Options options) : options_(std::move(options)) {}

  // Checks out `request.sha` into `request.dir`. Asks the server for the commit itself first;
  // when the server refuses to serve a commit by id, fetches the request's ref, then the branch,
  // and checks that what came is the wanted commit. On any failure `request.dir` is removed and
  // the status says what git said (secrets scrubbed): InvalidArgument for a bad request,
  // NotFound when no ref has the commit, DeadlineExceeded, Cancelled, or Unavailable.
  absl::Status Fetch(const FetchRequest& request, const CancelToken& cancel) const;

  // The environment git runs with (exposed for tests).
  std::vector<std::string> Environment(const FetchRequest& request) const;

 private:
  absl::Status FetchInto(const FetchRequest& request, absl::Time deadline,
                         const CancelToken& cancel) const;
  absl::Status Git(const FetchRequest& request, const std::vector<std::string>& args,
                   absl::Time deadline, const CancelToken& cancel, std::string* output) const;

  Options options_;
};

// The refs to try for a request, in order: the commit id itself, the forge's ref for the
// request, then the branch.
std::vector<std::string> CandidateRefs(const FetchRequest& request);

// `text` with every secret of `request` (the token and the forms it takes in an HTTP header) and
// any user:password part of a URL replaced by "<redacted>".
std::string Scrub(absl::string_view text, const FetchRequest& request);

}  // namespace prevu::reconciler::git

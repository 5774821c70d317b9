// The loop's fetch step (SourceFetcher) done with the git command line: adapts GitFetcher.
#pragma once

#include "reconciler/git/git_fetcher.h"
#include "reconciler/source_fetcher.h"

namespace prevu::reconciler::git {

class GitSourceFetcher : public SourceFetcher {
 public:
  explicit GitSourceFetcher(GitFetcher::Options options) : fetcher_(std::move(options)) {}

  // See GitFetcher::Fetch. Thread-safe: every call runs its own git processes.
  absl::Status Fetch(const SourceRequest& request, const CancelToken& cancel) override;

 private:
  const GitFetcher fetcher_;
};

}  // namespace prevu::reconciler::git

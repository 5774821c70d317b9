// See git_source_fetcher.h.
#include "reconciler/git/git_source_fetcher.h"

namespace prevu::reconciler::git {

absl::Status GitSourceFetcher::Fetch(const SourceRequest& request, const CancelToken& cancel) {
  FetchRequest fetch;
  fetch.url = request.clone_url;
  fetch.sha = request.sha;
  fetch.provider = request.provider;
  fetch.number = request.number;
  fetch.head_ref = request.ref;
  fetch.token = request.token;
  fetch.dir = request.dest_dir;
  return fetcher_.Fetch(fetch, cancel);
}

}  // namespace prevu::reconciler::git

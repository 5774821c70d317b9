// Fuzzes the parser of the preview paths of the admin and status API ("github/acme/shop/12/logs",
// percent-encoded as sent). A path that names a preview must name the same one, with the same
// action, when written back in its plain form; what names none is NotFound.
#include <string>

#include "absl/strings/str_cat.h"
#include "api/preview_path.h"
#include "tests/fuzz/fuzz_support.h"

namespace prevu::api {
namespace {

// The path for `path` as a client would write it: only '%' needs escaping, since every other
// byte of a repository path decodes to itself and slashes separate its segments anyway.
std::string Write(const PreviewPath& path) {
  std::string repo;
  for (char c : path.key.repo) {
    repo += c == '%' ? "%25" : std::string(1, c);
  }
  return absl::StrCat(controller::ProviderName(path.key.provider), "/", repo, "/", path.key.number,
                      path.action.empty() ? "" : "/", path.action);
}

}  // namespace
}  // namespace prevu::api

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using prevu::api::PreviewPath;
  std::string rest(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<PreviewPath> path = prevu::api::ParsePreviewPath(rest, {"logs", "redeploy"});
  if (!path.ok()) {
    FUZZ_CHECK(absl::IsNotFound(path.status()));
    return 0;
  }
  FUZZ_CHECK(path->key.number > 0 && !path->key.repo.empty());
  FUZZ_CHECK(path->action.empty() || path->action == "logs" || path->action == "redeploy");

  absl::StatusOr<PreviewPath> again =
      prevu::api::ParsePreviewPath(prevu::api::Write(*path), {"logs", "redeploy"});
  FUZZ_CHECK(again.ok() && again->key == path->key && again->action == path->action);
  return 0;
}

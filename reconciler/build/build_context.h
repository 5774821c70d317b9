// The build context of a preview: a directory of the fetched tree, sent to Docker as a tar
// stream made with libarchive, without what its `.dockerignore` excludes. Symbolic links are
// stored as links and never followed, so nothing outside the directory can get into the stream.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "reconciler/build/docker_ignore.h"

namespace prevu::reconciler::build {

class BuildContext {
 public:
  using Writer = std::function<absl::Status(absl::string_view piece)>;

  // Checks that `dir` is a directory and that `dockerfile` (relative to it, `/`-separated) names
  // a regular file inside it, and reads `dir/.dockerignore` if there is one. InvalidArgument or
  // NotFound with a message naming the `.prevu.toml` settings to fix.
  static absl::StatusOr<BuildContext> Open(const std::string& dir, const std::string& dockerfile);

  // Writes the whole tar stream, piece by piece, to `write`; returns the first error of `write`
  // or of reading the tree. Entries are in sorted order, owned by root, with their modes and
  // modification times. The Dockerfile and `.dockerignore` are always sent, as Docker's CLI does.
  absl::Status Write(const Writer& write) const;

  const std::string& dir() const { return dir_; }
  const std::string& dockerfile() const { return dockerfile_; }

 private:
  BuildContext(std::string dir, std::string dockerfile, DockerIgnore ignore)
      : dir_(std::move(dir)), dockerfile_(std::move(dockerfile)), ignore_(std::move(ignore)) {}

  std::string dir_;
  std::string dockerfile_;  // cleaned, relative to dir_
  DockerIgnore ignore_;
};

// A tar stream holding one regular file, `name` with `content` (mode 0644, owned by root): the
// whole context of a build whose Dockerfile Prevu writes itself.
absl::StatusOr<std::string> SingleFileTar(const std::string& name, absl::string_view content);

}  // namespace prevu::reconciler::build

// See tree_config.h.
#include "reconciler/build/tree_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace prevu::reconciler::build {
namespace {

constexpr char kConfigName[] = ".prevu.toml";
constexpr off_t kMaxConfigSize = 1 << 20;

// Reads a regular file without following a link in its last component; NotFound if absent.
absl::StatusOr<std::string> ReadPlainFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 && errno == ENOENT) {
    return absl::NotFoundError(absl::StrCat(path, " does not exist"));
  }
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(kConfigName, " cannot be read (",
                                                      std::strerror(errno),
                                                      "); it must be a regular file, not a link"));
  }

  std::string text;
  struct stat info;
  bool plain = fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size <= kMaxConfigSize;
  if (plain) {
    text.resize(info.st_size);
    plain = read(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  }
  close(fd);
  if (!plain) {
    return absl::FailedPreconditionError(
        absl::StrCat(kConfigName, " must be a regular file of at most 1 MiB"));
  }
  return text;
}

absl::StatusOr<std::string> RealPath(const std::string& path) {
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(std::strerror(errno)));
  }
  return std::string(resolved);
}

}  // namespace

absl::StatusOr<controller::RepoConfig> LoadTreeConfig(const std::string& tree_dir) {
  absl::StatusOr<std::string> text = ReadPlainFile(absl::StrCat(tree_dir, "/", kConfigName));
  if (absl::IsNotFound(text.status())) {
    return controller::RepoConfig();
  }
  if (!text.ok()) {
    return text.status();
  }
  return controller::ParseRepoConfig(*text, kConfigName);
}

absl::StatusOr<std::string> ContextDir(const std::string& tree_dir,
                                       const controller::BuildSettings& build) {
  absl::StatusOr<std::string> root = RealPath(tree_dir);
  if (!root.ok()) {
    return absl::NotFoundError(absl::StrCat("the fetched tree ", tree_dir, " is gone"));
  }
  absl::StatusOr<std::string> context = RealPath(absl::StrCat(*root, "/", build.context));
  struct stat info;
  bool inside = context.ok() && (*context == *root || absl::StartsWith(*context, *root + "/")) &&
                stat(context->c_str(), &info) == 0 && S_ISDIR(info.st_mode);
  if (!inside) {
    return absl::InvalidArgumentError(
        absl::StrCat("[build] context \"", build.context,
                     "\" must be a directory inside the repository; check .prevu.toml"));
  }
  return *context;
}

}  // namespace prevu::reconciler::build

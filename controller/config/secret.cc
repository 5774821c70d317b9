// Resolution of `env:NAME`, `file:PATH` and literal secrets.
#include "controller/config/secret.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "controller/config/validators.h"

namespace prevu::controller {
namespace {

// Secrets are tokens and keys; anything larger is almost certainly the wrong file.
constexpr size_t kMaxSecretFileBytes = 64 * 1024;

absl::StatusOr<Secret> ResolveEnv(absl::string_view name) {
  if (absl::Status valid = CheckEnvName(name); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("`env:", name, "` does not name an environment variable: ", valid.message()));
  }

  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) {
    return absl::NotFoundError(absl::StrCat("environment variable `", name,
                                            "` is not set; export it or write the secret "
                                            "as `file:PATH`"));
  }
  if (*value == '\0') {
    return absl::NotFoundError(absl::StrCat("environment variable `", name, "` is empty"));
  }
  return Secret(value);
}

absl::Status FileError(absl::string_view path, int error) {
  std::string message =
      absl::StrCat("cannot read secret file `", path, "`: ", std::strerror(error));
  if (error == ENOENT) {
    return absl::NotFoundError(message);
  }
  if (error == EACCES || error == EPERM) {
    return absl::PermissionDeniedError(message);
  }
  return absl::FailedPreconditionError(message);
}

// Reads at most kMaxSecretFileBytes + 1 bytes of the file at `path`.
absl::StatusOr<std::string> ReadSmallFile(absl::string_view path) {
  int fd = ::open(std::string(path).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return FileError(path, errno);
  }

  std::string contents;
  char buffer[4096];
  while (contents.size() <= kMaxSecretFileBytes) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return FileError(path, error);
    }
    if (n == 0) {
      break;
    }
    contents.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return contents;
}

absl::StatusOr<Secret> ResolveFile(absl::string_view path) {
  if (path.empty()) {
    return absl::InvalidArgumentError("`file:` must be followed by a path, as in `file:/etc/x`");
  }
  absl::StatusOr<std::string> contents = ReadSmallFile(path);
  if (!contents.ok()) {
    return contents.status();
  }

  if (contents->size() > kMaxSecretFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("secret file `", path, "` is larger than 64 KiB; is it the right file?"));
  }
  // Editors end files with a newline that is not part of the secret.
  absl::string_view value = *contents;
  if (!absl::ConsumeSuffix(&value, "\r\n")) {
    absl::ConsumeSuffix(&value, "\n");
  }
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("secret file `", path, "` is empty"));
  }
  return Secret(std::string(value));
}

}  // namespace

absl::StatusOr<Secret> Secret::Resolve(absl::string_view spec) {
  absl::string_view rest = spec;
  if (absl::ConsumePrefix(&rest, "env:")) {
    return ResolveEnv(rest);
  }
  if (absl::ConsumePrefix(&rest, "file:")) {
    return ResolveFile(rest);
  }
  if (spec.empty()) {
    return absl::InvalidArgumentError(
        "the secret is empty; write it as `env:NAME`, `file:PATH` or the value itself");
  }
  return Secret(std::string(spec));
}

}  // namespace prevu::controller

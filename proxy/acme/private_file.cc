// Secret files with POSIX calls; see private_file.h.
#include "proxy/acme/private_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace prevu::proxy::acme {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

absl::Status MakePrivateDirectory(const std::string& dir) {
  struct stat st;
  if (dir.empty() || ::stat(dir.c_str(), &st) == 0) {
    return absl::OkStatus();
  }
  size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    absl::Status parent = MakePrivateDirectory(dir.substr(0, slash));
    if (!parent.ok()) {
      return parent;
    }
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoError("cannot create directory", dir);
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view content, mode_t mode) {
  std::string temporary = absl::StrCat(path, ".tmp");
  ::unlink(temporary.c_str());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return ErrnoError("cannot create", temporary);
  }

  // The umask may have taken bits away; it must not have left any the caller did not ask for.
  bool written = ::fchmod(fd, mode) == 0;
  for (size_t done = 0; written && done < content.size();) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    written = n > 0;
    done += written ? static_cast<size_t>(n) : 0;
  }
  written = written && ::fsync(fd) == 0;
  int saved_errno = errno;
  ::close(fd);
  if (!written) {
    errno = saved_errno;
    ::unlink(temporary.c_str());
    return ErrnoError("cannot write", temporary);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return ErrnoError("cannot rename into place", path);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    }
    return ErrnoError("cannot open", path);
  }
  std::string content;
  char buffer[16 * 1024];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      int saved_errno = errno;
      ::close(fd);
      errno = saved_errno;
      return n == 0 ? absl::StatusOr<std::string>(std::move(content))
                    : ErrnoError("cannot read", path);
    }
    content.append(buffer, static_cast<size_t>(n));
  }
}

absl::Status CheckOwnerOnly(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return ErrnoError("cannot stat", path);
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s has mode %04o and may be read by other users; it holds a private key: make it "
        "0600 (chmod 600 %s) or remove it to have a new one made",
        path, st.st_mode & 07777, path));
  }
  return absl::OkStatus();
}

}  // namespace prevu::proxy::acme

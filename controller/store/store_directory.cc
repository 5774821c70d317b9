// Creating, checking and locking the state directory; see store_directory.h.
#include "controller/store/store_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "controller/base/log.h"
#include "controller/store/append_only_file.h"

namespace prevu::controller::store {
namespace {

absl::Status CreateIfMissing(const std::string& path) {
  std::error_code error;
  bool created = std::filesystem::create_directories(path, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create the state directory `", path, "`: ", error.message(),
                     "; create it or set `[state] dir` to a directory Prevu may write"));
  }
  if (created) {
    // Previews name private repositories; only the service's user should read them.
    std::filesystem::permissions(path, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, error);
    log::Info("created state directory").With("path", path);
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Lock(const std::string& path) {
  std::string lock_path = absl::StrCat(path, "/LOCK");
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("the state directory `", path, "` is not writable: ", std::strerror(errno),
                     "; give Prevu's user write access or set `[state] dir` to another directory"));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("the state directory `", path,
                       "` is in use by another Prevu process; stop it or use another directory"));
    }
    return absl::ErrnoToStatus(error, absl::StrCat("cannot lock `", lock_path, "`"));
  }
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<StoreDirectory>> StoreDirectory::Open(const std::string& path) {
  absl::Status created = CreateIfMissing(path);
  if (!created.ok()) {
    return created;
  }
  absl::StatusOr<int> lock_fd = Lock(path);
  if (!lock_fd.ok()) {
    return lock_fd.status();
  }
  auto directory = std::unique_ptr<StoreDirectory>(new StoreDirectory(path, *lock_fd));

  // Left by a crash during a replacement; the file they were to replace is intact.
  for (const char* name : {"/snapshot.tmp", "/journal.tmp", "/journal.new.tmp"}) {
    absl::Status removed = RemoveIfExists(absl::StrCat(path, name));
    if (!removed.ok()) {
      return removed;
    }
  }
  return directory;
}

StoreDirectory::~StoreDirectory() { ::close(lock_fd_); }

}  // namespace prevu::controller::store

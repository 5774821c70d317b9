// POSIX file operations for the store; see append_only_file.h.
#include "controller/store/append_only_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace prevu::controller::store {
namespace {

absl::Status FileError(absl::string_view what, const std::string& path) {
  int error = errno;
  return absl::ErrnoToStatus(error, absl::StrCat(what, " `", path, "`"));
}

// Writes all of `data` at `offset`, or at the file's position when `offset` is negative.
absl::Status WriteAll(int fd, absl::string_view data, const std::string& path,
                      int64_t offset = -1) {
  while (!data.empty()) {
    ssize_t n = offset < 0 ? ::write(fd, data.data(), data.size())
                           : ::pwrite(fd, data.data(), data.size(), offset);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return FileError("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
    if (offset >= 0) {
      offset += n;
    }
  }
  return absl::OkStatus();
}

std::string ParentDirectory(const std::string& path) {
  std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

// Closes `fd` on every path out of a function.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { ::close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AppendOnlyFile>> AppendOnlyFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return FileError("cannot open", path);
  }

  struct stat st;
  if (::fstat(fd, &st) != 0) {
    absl::Status status = FileError("cannot stat", path);
    ::close(fd);
    return status;
  }
  return std::unique_ptr<AppendOnlyFile>(new AppendOnlyFile(fd, path, st.st_size));
}

AppendOnlyFile::~AppendOnlyFile() { ::close(fd_); }

absl::Status AppendOnlyFile::Append(absl::string_view data) {
  int64_t end = size_ + static_cast<int64_t>(data.size());
  if (end > allocated_) {
    absl::Status extended = Preallocate(end);
    if (!extended.ok()) {
      return extended;
    }
  }
  absl::Status status = WriteAll(fd_, data, path_, size_);
  if (status.ok()) {
    size_ = end;
  }
  return status;
}

absl::Status AppendOnlyFile::Preallocate(int64_t end) {
  // Real zeros, not fallocate(2): its unwritten extents would need a metadata commit on first
  // write, which is the cost this avoids.
  static const std::string* const kZeros = new std::string(1 << 16, '\0');
  int64_t target = std::max(end, allocated_ + kPreallocateBytes);
  while (allocated_ < target) {
    int64_t n = std::min<int64_t>(target - allocated_, static_cast<int64_t>(kZeros->size()));
    absl::Status status = WriteAll(fd_, absl::string_view(*kZeros).substr(0, n), path_, allocated_);
    if (!status.ok()) {
      return status;
    }
    allocated_ += n;
  }
  return absl::OkStatus();
}

absl::Status AppendOnlyFile::Sync() {
  if (::fdatasync(fd_) != 0) {
    return FileError("cannot sync", path_);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> ReadFileIfExists(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    return std::optional<std::string>();
  }
  if (fd < 0) {
    return FileError("cannot open", path);
  }
  FdCloser closer(fd);

  std::string contents;
  char buffer[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return FileError("cannot read", path);
    }
    if (n == 0) {
      return std::optional<std::string>(std::move(contents));
    }
    contents.append(buffer, static_cast<size_t>(n));
  }
}

absl::Status ReplaceFileDurably(const std::string& path, absl::string_view contents) {
  std::string tmp = absl::StrCat(path, ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return FileError("cannot create", tmp);
  }
  {
    FdCloser closer(fd);
    absl::Status written = WriteAll(fd, contents, tmp);
    if (!written.ok()) {
      return written;
    }
    if (::fsync(fd) != 0) {
      return FileError("cannot sync", tmp);
    }
  }

  return RenameDurably(tmp, path);
}

absl::Status RenameDurably(const std::string& from, const std::string& to) {
  // The rename is atomic, but only the directory's fsync makes it survive a power cut.
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return FileError("cannot rename to", to);
  }
  return SyncDirectory(ParentDirectory(to));
}

absl::Status TruncateFile(const std::string& path, int64_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return FileError("cannot open", path);
  }
  FdCloser closer(fd);
  if (::ftruncate(fd, size) != 0) {
    return FileError("cannot truncate", path);
  }
  if (::fsync(fd) != 0) {
    return FileError("cannot sync", path);
  }
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return FileError("cannot open directory", dir);
  }
  FdCloser closer(fd);
  if (::fsync(fd) != 0) {
    return FileError("cannot sync directory", dir);
  }
  return absl::OkStatus();
}

absl::Status RemoveIfExists(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return FileError("cannot remove", path);
  }
  return absl::OkStatus();
}

}  // namespace prevu::controller::store

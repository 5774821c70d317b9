// See build_context.h.
#include "reconciler/build/build_context.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace prevu::reconciler::build {
namespace {

constexpr size_t kReadBlock = 64 * 1024;

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Joins a relative path; `parent` is "" at the root.
std::string Join(absl::string_view parent, absl::string_view name) {
  return parent.empty() ? std::string(name) : absl::StrCat(parent, "/", name);
}

absl::StatusOr<std::vector<std::string>> SortedNames(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> handle(opendir(dir.c_str()), closedir);
  if (handle == nullptr) {
    return ErrnoError("cannot read directory", dir);
  }
  std::vector<std::string> names;
  while (dirent* entry = readdir(handle.get())) {
    absl::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      names.emplace_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Writes one tree into a libarchive writer whose output goes to a Writer.
class TarWriter {
 public:
  TarWriter(const BuildContext::Writer& write, const DockerIgnore& ignore,
            const std::string& dockerfile)
      : write_(write), ignore_(ignore), dockerfile_(dockerfile), archive_(archive_write_new()) {
    archive_write_set_format_pax_restricted(archive_);
    archive_write_set_bytes_in_last_block(archive_, 1);  // no padding past the end marker
  }

  ~TarWriter() { archive_write_free(archive_); }

  absl::Status Run(const std::string& root) {
    if (archive_write_open(archive_, this, nullptr, &TarWriter::OnWrite, nullptr) != ARCHIVE_OK) {
      return ArchiveError();
    }
    absl::Status status = AddDirectory(root, "");
    if (status.ok() && archive_write_close(archive_) != ARCHIVE_OK) {
      status = ArchiveError();
    }
    return status;
  }

 private:
  static la_ssize_t OnWrite(archive* a, void* self, const void* data, size_t size) {
    auto* writer = static_cast<TarWriter*>(self);
    writer->sink_status_ = writer->write_(absl::string_view(static_cast<const char*>(data), size));
    if (!writer->sink_status_.ok()) {
      archive_set_error(a, EIO, "the build context could not be sent");
      return -1;
    }
    return static_cast<la_ssize_t>(size);
  }

  absl::Status ArchiveError() {
    if (!sink_status_.ok()) {
      return sink_status_;
    }
    return absl::InternalError(
        absl::StrCat("making the build context failed: ", archive_error_string(archive_)));
  }

  bool AlwaysSent(const std::string& relative) const {
    return relative == dockerfile_ || relative == ".dockerignore";
  }

  absl::Status AddDirectory(const std::string& absolute, const std::string& relative) {
    absl::StatusOr<std::vector<std::string>> names = SortedNames(absolute);
    if (!names.ok()) {
      return names.status();
    }
    for (const std::string& name : *names) {
      absl::Status status = AddPath(absolute + "/" + name, Join(relative, name));
      if (!status.ok()) {
        return status;
      }
    }
    return absl::OkStatus();
  }

  absl::Status AddPath(const std::string& absolute, const std::string& relative) {
    struct stat info;
    if (lstat(absolute.c_str(), &info) != 0) {
      return ErrnoError("cannot read", absolute);
    }
    bool excluded = ignore_.Excluded(relative) && !AlwaysSent(relative);
    bool directory = S_ISDIR(info.st_mode);

    // An excluded directory is still walked when an exception might bring back something in it.
    if (excluded) {
      return directory && ignore_.has_exceptions() ? AddDirectory(absolute, relative)
                                                   : absl::OkStatus();
    }
    if (!directory && !S_ISREG(info.st_mode) && !S_ISLNK(info.st_mode)) {
      return absl::OkStatus();  // sockets, pipes and devices have no place in an image
    }

    absl::Status status = AddEntry(absolute, relative, info);
    if (status.ok() && directory) {
      status = AddDirectory(absolute, relative);
    }
    return status;
  }

  absl::Status AddEntry(const std::string& absolute, const std::string& relative,
                        const struct stat& info) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(),
                                                                   archive_entry_free);
    archive_entry_set_pathname(entry.get(), relative.c_str());
    archive_entry_set_mode(entry.get(), info.st_mode);
    archive_entry_set_mtime(entry.get(), info.st_mtime, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    if (S_ISREG(info.st_mode)) {
      archive_entry_set_size(entry.get(), info.st_size);
    }
    if (S_ISLNK(info.st_mode)) {
      std::array<char, 4096> target;
      ssize_t length = readlink(absolute.c_str(), target.data(), target.size() - 1);
      if (length < 0) {
        return ErrnoError("cannot read link", absolute);
      }
      target[length] = '\0';
      archive_entry_set_symlink(entry.get(), target.data());
    }

    if (archive_write_header(archive_, entry.get()) != ARCHIVE_OK) {
      return ArchiveError();
    }
    return S_ISREG(info.st_mode) ? AddContents(absolute, info.st_size) : absl::OkStatus();
  }

  absl::Status AddContents(const std::string& absolute, off_t size) {
    // O_NOFOLLOW: a file swapped for a link since lstat() is refused, not followed.
    int fd = open(absolute.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      return ErrnoError("cannot open", absolute);
    }
    std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) { close(*f); });

    std::vector<char> block(kReadBlock);
    off_t left = size;
    while (left > 0) {
      ssize_t got = read(fd, block.data(), std::min<off_t>(left, block.size()));
      if (got < 0 && errno == EINTR) {
        continue;
      }
      if (got <= 0) {
        return absl::AbortedError(
            absl::StrCat("file ", absolute, " changed while the build context was made"));
      }
      if (archive_write_data(archive_, block.data(), got) < 0) {
        return ArchiveError();
      }
      left -= got;
    }
    return absl::OkStatus();
  }

  const BuildContext::Writer& write_;
  const DockerIgnore& ignore_;
  const std::string& dockerfile_;
  archive* archive_;
  absl::Status sink_status_;
};

// A path inside the context: relative, and never climbing out of it.
bool IsInsidePath(absl::string_view path) {
  if (path.empty() || path.front() == '/') {
    return false;
  }
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    if (segment == "..") {
      return false;
    }
  }
  return true;
}

std::string CleanRelative(absl::string_view path) {
  std::vector<absl::string_view> kept;
  for (absl::string_view segment : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (segment != ".") {
      kept.push_back(segment);
    }
  }
  return absl::StrJoin(kept, "/");
}

}  // namespace

absl::StatusOr<BuildContext> BuildContext::Open(const std::string& dir,
                                                const std::string& dockerfile) {
  struct stat info;
  if (stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return absl::NotFoundError(absl::StrCat(
        "the build context ", dir, " is not a directory; check [build] context in .prevu.toml"));
  }
  if (!IsInsidePath(dockerfile)) {
    return absl::InvalidArgumentError(
        absl::StrCat("[build] dockerfile \"", dockerfile,
                     "\" must be a relative path inside the build context, without \"..\""));
  }
  std::string cleaned = CleanRelative(dockerfile);
  std::string dockerfile_path = absl::StrCat(dir, "/", cleaned);
  if (lstat(dockerfile_path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return absl::NotFoundError(absl::StrCat("[build] dockerfile \"", dockerfile,
                                            "\" is not a file in the build context; ",
                                            "check [build] dockerfile and context in .prevu.toml"));
  }

  DockerIgnore ignore;
  std::ifstream ignore_file(absl::StrCat(dir, "/.dockerignore"));
  if (ignore_file) {
    std::stringstream text;
    text << ignore_file.rdbuf();
    ignore = DockerIgnore::Parse(text.str());
  }
  return BuildContext(dir, std::move(cleaned), std::move(ignore));
}

absl::Status BuildContext::Write(const Writer& write) const {
  TarWriter writer(write, ignore_, dockerfile_);
  return writer.Run(dir_);
}

absl::StatusOr<std::string> SingleFileTar(const std::string& name, absl::string_view content) {
  std::unique_ptr<archive, int (*)(archive*)> tar(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(tar.get());
  archive_write_set_bytes_in_last_block(tar.get(), 1);
  std::string out;
  auto append = [](archive*, void* out, const void* data, size_t size) -> la_ssize_t {
    static_cast<std::string*>(out)->append(static_cast<const char*>(data), size);
    return static_cast<la_ssize_t>(size);
  };
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(),
                                                                 archive_entry_free);
  archive_entry_set_pathname(entry.get(), name.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(content.size()));
  bool ok = archive_write_open(tar.get(), &out, nullptr, append, nullptr) == ARCHIVE_OK &&
            archive_write_header(tar.get(), entry.get()) == ARCHIVE_OK &&
            archive_write_data(tar.get(), content.data(), content.size()) ==
                static_cast<la_ssize_t>(content.size()) &&
            archive_write_close(tar.get()) == ARCHIVE_OK;
  if (!ok) {
    return absl::InternalError(
        absl::StrCat("making a build context failed: ", archive_error_string(tar.get())));
  }
  return out;
}

}  // namespace prevu::reconciler::build

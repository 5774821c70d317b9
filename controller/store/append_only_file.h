// The POSIX file operations the store's durability rests on: an append-only file with
// fdatasync, and whole-file replacement by write, fsync, rename and directory fsync.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace prevu::controller::store {

// A file opened for appending. Not thread-safe: the store lets one thread at a time write.
//
// The file is extended with zeros ahead of the appends, 256 KiB at a time, so that most syncs
// only flush data: a sync after a write that grows the file must also commit the new size to the
// file system's journal, which costs several times more. Readers treat zeros after the last
// record as the end of the file.
class AppendOnlyFile {
 public:
  // Opens an existing file; its current size is where appends continue, so the caller cuts away
  // any zeros after the last record first.
  static absl::StatusOr<std::unique_ptr<AppendOnlyFile>> Open(const std::string& path);
  ~AppendOnlyFile();
  AppendOnlyFile(const AppendOnlyFile&) = delete;
  AppendOnlyFile& operator=(const AppendOnlyFile&) = delete;

  // Writes all of `data` at the end. Not durable until Sync() returns OK.
  absl::Status Append(absl::string_view data);
  // fdatasync(2): everything appended so far is on disk when this returns OK.
  absl::Status Sync();

  // Where the next append goes; the file on disk may be longer.
  int64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  static constexpr int64_t kPreallocateBytes = 256 << 10;

  AppendOnlyFile(int fd, std::string path, int64_t size)
      : fd_(fd), path_(std::move(path)), size_(size), allocated_(size) {}

  // Extends the file with zeros to at least `end`.
  absl::Status Preallocate(int64_t end);

  int fd_;
  std::string path_;
  int64_t size_;
  int64_t allocated_;
};

// The whole content of `path`, or nullopt when it does not exist.
absl::StatusOr<std::optional<std::string>> ReadFileIfExists(const std::string& path);

// Makes `path` hold `contents` atomically and durably: writes `path`.tmp, syncs it, renames it
// over `path` and syncs the directory. A crash leaves either the old file or the new one (and
// perhaps the .tmp, which callers delete on start).
absl::Status ReplaceFileDurably(const std::string& path, absl::string_view contents);

// Renames `from` to `to`, replacing it, and syncs the directory so the rename survives a crash.
absl::Status RenameDurably(const std::string& from, const std::string& to);

// Cuts `path` to `size` bytes and syncs it.
absl::Status TruncateFile(const std::string& path, int64_t size);

// fsync(2) on a directory, so that entries created, renamed or removed in it are durable.
absl::Status SyncDirectory(const std::string& dir);

// Removes `path` if it exists.
absl::Status RemoveIfExists(const std::string& path);

}  // namespace prevu::controller::store

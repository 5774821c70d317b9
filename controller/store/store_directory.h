// The state directory of the desired store: created with mode 0700 when missing, checked to be
// writable, and locked so that two processes never append to the same journal.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace prevu::controller::store {

class StoreDirectory {
 public:
  // Creates `path` (and its parents) when missing, takes an exclusive lock on `path`/LOCK and
  // removes temporary files a crash may have left. Errors name the directory and what to do.
  static absl::StatusOr<std::unique_ptr<StoreDirectory>> Open(const std::string& path);
  // Releases the lock.
  ~StoreDirectory();
  StoreDirectory(const StoreDirectory&) = delete;
  StoreDirectory& operator=(const StoreDirectory&) = delete;

  const std::string& path() const { return path_; }

 private:
  StoreDirectory(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}

  std::string path_;
  int lock_fd_;
};

}  // namespace prevu::controller::store

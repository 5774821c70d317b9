// HTTP-01 challenge answers (RFC 8555 section 8.3) that the ACME client has asked a CA to check,
// and that the proxy serves at /.well-known/acme-challenge/<token> on the plain HTTP port.
// Written rarely (once per challenge) and read only for that path, so a mutex is enough.
#pragma once

#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace prevu::proxy {

class ChallengeStore {
 public:
  // Publishes the key authorization for `token` until Remove(). Thread-safe.
  void Put(std::string token, std::string key_authorization) {
    absl::MutexLock lock(&mu_);
    answers_[std::move(token)] = std::move(key_authorization);
  }

  void Remove(absl::string_view token) {
    absl::MutexLock lock(&mu_);
    answers_.erase(token);
  }

  // The key authorization for `token`, or nothing when no challenge with it is pending.
  std::optional<std::string> Find(absl::string_view token) const {
    absl::MutexLock lock(&mu_);
    auto it = answers_.find(token);
    if (it == answers_.end()) {
      return std::nullopt;
    }
    return it->second;
  }

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> answers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace prevu::proxy

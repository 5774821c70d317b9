// Certificates kept on disk, so that a restart serves HTTPS at once and does not ask the CA
// again: <dir>/<name>.crt (the chain, PEM) and <dir>/<name>.key (its key, mode 0600), each
// replaced atomically.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proxy/acme/certificate_issuer.h"

namespace prevu::proxy::acme {

class CertificateFiles {
 public:
  // `dir` is made (mode 0700) on the first Save().
  explicit CertificateFiles(std::string dir) : dir_(std::move(dir)) {}

  // Writes the key, then the chain (a chain on disk always has its key). InvalidArgument for a
  // name that is not a plain file name; Internal on I/O errors.
  absl::Status Save(absl::string_view name, const IssuedCertificate& certificate) const;

  // The pair saved for `name`. NotFound when there is none; FailedPrecondition when the key file
  // may be read by others; InvalidArgument when the key does not belong to the chain.
  absl::StatusOr<IssuedCertificate> Load(absl::string_view name) const;

  // The names that have a chain on disk, sorted.
  std::vector<std::string> Names() const;

  const std::string& dir() const { return dir_; }
  std::string ChainPath(absl::string_view name) const;
  std::string KeyPath(absl::string_view name) const;

 private:
  std::string dir_;
};

}  // namespace prevu::proxy::acme

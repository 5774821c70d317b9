// The account key file; see account_key.h.
#include "proxy/acme/account_key.h"

#include "absl/strings/str_cat.h"
#include "controller/base/log.h"
#include "proxy/acme/private_file.h"

namespace prevu::proxy::acme {

absl::StatusOr<EcKey> LoadOrCreateAccountKey(const std::string& path) {
  absl::StatusOr<std::string> pem = ReadWholeFile(path);
  if (pem.ok()) {
    absl::Status mode = CheckOwnerOnly(path);
    if (!mode.ok()) {
      return mode;
    }
    absl::StatusOr<EcKey> key = EcKey::FromPem(*pem);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("account key ", path, ": ", key.status().message()));
    }
    return key;
  }
  if (!absl::IsNotFound(pem.status())) {
    return pem.status();
  }

  absl::StatusOr<EcKey> key = EcKey::Generate();
  if (!key.ok()) {
    return key.status();
  }
  size_t slash = path.find_last_of('/');
  absl::Status written =
      slash == std::string::npos ? absl::OkStatus() : MakePrivateDirectory(path.substr(0, slash));
  if (written.ok()) {
    written = WriteFileAtomically(path, key->PrivateKeyPem(), 0600);
  }
  if (!written.ok()) {
    return written;
  }
  log::Info("acme account key created").With("path", path);
  return key;
}

}  // namespace prevu::proxy::acme

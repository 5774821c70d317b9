// Certificate files; see certificate_files.h.
#include "proxy/acme/certificate_files.h"

#include <dirent.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "proxy/acme/certificate_info.h"
#include "proxy/acme/private_file.h"

namespace prevu::proxy::acme {
namespace {

constexpr absl::string_view kChainSuffix = ".crt";

bool IsPlainFileName(absl::string_view name) {
  return !name.empty() && name[0] != '.' && !absl::StrContains(name, '/') &&
         !absl::StrContains(name, '\0');
}

}  // namespace

std::string CertificateFiles::ChainPath(absl::string_view name) const {
  return absl::StrCat(dir_, "/", name, kChainSuffix);
}

std::string CertificateFiles::KeyPath(absl::string_view name) const {
  return absl::StrCat(dir_, "/", name, ".key");
}

absl::Status CertificateFiles::Save(absl::string_view name,
                                    const IssuedCertificate& certificate) const {
  if (!IsPlainFileName(name)) {
    return absl::InvalidArgumentError(absl::StrCat("`", name, "` cannot be a file name"));
  }
  absl::Status status = MakePrivateDirectory(dir_);
  if (status.ok()) {
    status = WriteFileAtomically(KeyPath(name), certificate.key_pem, 0600);
  }
  if (status.ok()) {
    status = WriteFileAtomically(ChainPath(name), certificate.chain_pem, 0644);
  }
  return status;
}

absl::StatusOr<IssuedCertificate> CertificateFiles::Load(absl::string_view name) const {
  if (!IsPlainFileName(name)) {
    return absl::InvalidArgumentError(absl::StrCat("`", name, "` cannot be a file name"));
  }
  absl::StatusOr<std::string> chain = ReadWholeFile(ChainPath(name));
  if (!chain.ok()) {
    return chain.status();
  }
  if (absl::Status mode = CheckOwnerOnly(KeyPath(name)); !mode.ok()) {
    return mode;
  }
  absl::StatusOr<std::string> key = ReadWholeFile(KeyPath(name));
  if (!key.ok()) {
    return key.status();
  }
  if (absl::Status match = CheckKeyMatchesCertificate(*chain, *key); !match.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ChainPath(name), " and its key do not go together: ", match.message()));
  }
  return IssuedCertificate{std::move(*chain), std::move(*key)};
}

std::vector<std::string> CertificateFiles::Names() const {
  std::vector<std::string> names;
  DIR* dir = ::opendir(dir_.c_str());
  if (dir == nullptr) {
    return names;
  }
  while (const struct dirent* entry = ::readdir(dir)) {
    absl::string_view file = entry->d_name;
    if (IsPlainFileName(file) && absl::ConsumeSuffix(&file, kChainSuffix)) {
      names.emplace_back(file);
    }
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace prevu::proxy::acme

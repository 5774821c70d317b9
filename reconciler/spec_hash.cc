// The spec hash; see spec_hash.h.
#include "reconciler/spec_hash.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace prevu::reconciler {

std::string ShortDigest(absl::string_view text, size_t bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest),
                                                  std::min<size_t>(bytes, sizeof(digest))));
}

std::string SpecHash(const controller::PreviewKey& key, const controller::PreviewSpec& spec,
                     const controller::ResourceLimits& limits) {
  // Fields are separated by a byte no URL, SHA or key contains, so that no two different specs
  // hash the same text. Doubles are printed exactly.
  std::string text = absl::StrCat(
      key.ToString(), "\x1f", spec.clone_url, "\x1f", spec.head_sha, "\x1f", spec.generation,
      "\x1f", limits.default_memory_bytes, "\x1f", limits.max_memory_bytes, "\x1f",
      absl::StrFormat("%a", limits.default_cpus), "\x1f", absl::StrFormat("%a", limits.max_cpus),
      "\x1f", limits.default_pids, "\x1f", limits.max_pids);

  return ShortDigest(text, 8);
}

}  // namespace prevu::reconciler

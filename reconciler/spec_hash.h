// The spec hash: one short digest of everything a preview's container is built and run from. It
// is stored in the prevu.spec-hash label, so that after a restart the loop recognises a running
// container as the one it wants and adopts it instead of rebuilding.
#pragma once

#include <string>

#include "controller/config/host_config.h"
#include "controller/preview.h"

namespace prevu::reconciler {

// Returns 16 lower-case hex digits (the first 64 bits of a SHA-256) over the preview key, the
// clone URL, the head SHA, the generation (which a redeploy bumps) and the host's resource
// limits. Stable across processes and builds. Thread-safe.
// The first `bytes` bytes of the SHA-256 of `text`, in lower-case hex. Thread-safe.
std::string ShortDigest(absl::string_view text, size_t bytes);

std::string SpecHash(const controller::PreviewKey& key, const controller::PreviewSpec& spec,
                     const controller::ResourceLimits& limits);

}  // namespace prevu::reconciler

// The preview model: what a forge asked for (the spec, desired state) and what the reconciler
// observed (the status). Plain values; the desired store owns the live copies.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json_fwd.hpp"

namespace prevu::controller {

enum class Provider { kGitHub, kGitLab };

absl::string_view ProviderName(Provider provider);  // "github", "gitlab"
std::optional<Provider> ParseProvider(absl::string_view name);

// Identifies one preview: a request in a repository of a forge. Printed as
// "github/acme/shop#12"; GitLab repository paths may be nested ("group/sub/project").
struct PreviewKey {
  Provider provider = Provider::kGitHub;
  std::string repo;
  int64_t number = 0;

  std::string ToString() const;
  static absl::StatusOr<PreviewKey> Parse(absl::string_view text);

  friend auto operator<=>(const PreviewKey&, const PreviewKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const PreviewKey& k) {
    return H::combine(std::move(h), k.provider, k.repo, k.number);
  }
};

// Desired state of one preview, written by the api from webhooks.
struct PreviewSpec {
  std::string clone_url;
  std::string head_sha;
  std::string head_ref;
  std::string base_ref;
  std::string title;
  std::string author;
  bool open = true;
  // Increases only when something that changes what runs changes: head SHA, clone URL, open or
  // closed, or an explicit redeploy. A redelivery or a new title leaves it alone.
  int64_t generation = 0;
  absl::Time created_at = absl::InfinitePast();
  absl::Time updated_at = absl::InfinitePast();  // last webhook that touched it; drives the TTL
};

enum class Phase { kPending, kFetching, kBuilding, kStarting, kReady, kFailed, kDeleting };
absl::string_view PhaseName(Phase phase);

// One observed fact about a preview, in the manner of Kubernetes conditions.
// Types used: Fetched, Built, Running, Ready, Routed, CertReady.
struct Condition {
  std::string type;
  std::string status = "Unknown";  // "True", "False" or "Unknown"
  std::string reason;              // CamelCase, machine-readable: "BuildFailed", "CrashLoop"
  std::string message;             // a sentence a user can act on
  absl::Time last_transition = absl::InfinitePast();
};

// Observed state, written only by the reconciler.
struct PreviewStatus {
  Phase phase = Phase::kPending;
  int64_t observed_generation = 0;
  std::string url;
  std::string container_id;
  std::string image_id;
  std::vector<Condition> conditions;
  std::optional<std::string> error;
  std::map<std::string, int64_t> timings_ms;  // "fetch", "build", "start", "health"
  std::string log_tail;                       // bounded tail of build and run output

  // Sets or replaces the condition of this type; the transition time changes only when the
  // status value changes.
  void SetCondition(absl::string_view type, absl::string_view status, absl::string_view reason,
                    absl::string_view message, absl::Time now);
  const Condition* FindCondition(absl::string_view type) const;
};

struct Preview {
  PreviewKey key;
  PreviewSpec spec;
  PreviewStatus status;
};

// The JSON form of a preview, with the field names of the API contract (DESIGN.md).
nlohmann::json PreviewToJson(const Preview& preview);

}  // namespace prevu::controller

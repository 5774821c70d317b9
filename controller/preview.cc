// The preview model and its JSON form; see preview.h.
#include "controller/preview.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace prevu::controller {
namespace {

nlohmann::json TimeToJson(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) {
    return nullptr;
  }
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

}  // namespace

absl::string_view ProviderName(Provider provider) {
  return provider == Provider::kGitLab ? "gitlab" : "github";
}

std::optional<Provider> ParseProvider(absl::string_view name) {
  if (name == "github") {
    return Provider::kGitHub;
  }
  if (name == "gitlab") {
    return Provider::kGitLab;
  }
  return std::nullopt;
}

std::string PreviewKey::ToString() const {
  return absl::StrCat(ProviderName(provider), "/", repo, "#", number);
}

absl::StatusOr<PreviewKey> PreviewKey::Parse(absl::string_view text) {
  std::pair<absl::string_view, absl::string_view> provider_rest =
      absl::StrSplit(text, absl::MaxSplits('/', 1));
  size_t hash = provider_rest.second.rfind('#');
  std::optional<Provider> provider = ParseProvider(provider_rest.first);
  PreviewKey key;
  if (!provider || hash == absl::string_view::npos || hash == 0 ||
      !absl::SimpleAtoi(provider_rest.second.substr(hash + 1), &key.number) || key.number <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("`", text, "` is not a preview key such as `github/acme/shop#12`"));
  }
  key.provider = *provider;
  key.repo = std::string(provider_rest.second.substr(0, hash));
  return key;
}

absl::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kPending:
      return "pending";
    case Phase::kFetching:
      return "fetching";
    case Phase::kBuilding:
      return "building";
    case Phase::kStarting:
      return "starting";
    case Phase::kReady:
      return "ready";
    case Phase::kFailed:
      return "failed";
    case Phase::kDeleting:
      return "deleting";
  }
  return "pending";
}

void PreviewStatus::SetCondition(absl::string_view type, absl::string_view status,
                                 absl::string_view reason, absl::string_view message,
                                 absl::Time now) {
  for (Condition& c : conditions) {
    if (c.type != type) {
      continue;
    }
    if (c.status != status) {
      c.last_transition = now;
    }
    c.status = std::string(status);
    c.reason = std::string(reason);
    c.message = std::string(message);
    return;
  }
  conditions.push_back(Condition{std::string(type), std::string(status), std::string(reason),
                                 std::string(message), now});
}

const Condition* PreviewStatus::FindCondition(absl::string_view type) const {
  for (const Condition& c : conditions) {
    if (c.type == type) {
      return &c;
    }
  }
  return nullptr;
}

nlohmann::json PreviewToJson(const Preview& preview) {
  const PreviewSpec& spec = preview.spec;
  const PreviewStatus& status = preview.status;
  nlohmann::json conditions = nlohmann::json::array();
  for (const Condition& c : status.conditions) {
    conditions.push_back({{"type", c.type},
                          {"status", c.status},
                          {"reason", c.reason},
                          {"message", c.message},
                          {"last_transition", TimeToJson(c.last_transition)}});
  }
  nlohmann::json timings = nlohmann::json::object();
  for (const auto& [step, ms] : status.timings_ms) {
    timings[step] = ms;
  }
  return {
      {"key", preview.key.ToString()},
      {"provider", ProviderName(preview.key.provider)},
      {"repo", preview.key.repo},
      {"number", preview.key.number},
      {"head_sha", spec.head_sha},
      {"head_ref", spec.head_ref},
      {"base_ref", spec.base_ref},
      {"title", spec.title},
      {"author", spec.author},
      {"state", spec.open ? "open" : "closed"},
      {"generation", spec.generation},
      {"observed_generation", status.observed_generation},
      {"phase", PhaseName(status.phase)},
      {"url", status.url.empty() ? nlohmann::json(nullptr) : nlohmann::json(status.url)},
      {"conditions", std::move(conditions)},
      {"error", status.error ? nlohmann::json(*status.error) : nlohmann::json(nullptr)},
      {"container_id", status.container_id},
      {"image_id", status.image_id},
      {"timings_ms", std::move(timings)},
      {"created_at", TimeToJson(spec.created_at)},
      {"updated_at", TimeToJson(spec.updated_at)},
  };
}

}  // namespace prevu::controller

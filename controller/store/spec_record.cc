// Spec records as JSON; see spec_record.h.
#include "controller/store/spec_record.h"

#include "absl/strings/str_cat.h"
#include "controller/base/strings.h"
#include "nlohmann/json.hpp"

namespace prevu::controller::store {
namespace {

// Times are whole nanoseconds since the Unix epoch, exact in both directions.
int64_t TimeToNanos(absl::Time t) { return absl::ToUnixNanos(t); }

absl::Status Missing(absl::string_view field) {
  return absl::InvalidArgumentError(absl::StrCat("record has no valid `", field, "`"));
}

absl::StatusOr<std::string> StringField(const nlohmann::json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_string()) {
    return Missing(field);
  }
  return it->get<std::string>();
}

absl::StatusOr<int64_t> IntegerField(const nlohmann::json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number_integer()) {
    return Missing(field);
  }
  return it->get<int64_t>();
}

absl::StatusOr<PreviewKey> DecodeKey(const nlohmann::json& j) {
  absl::StatusOr<std::string> provider_name = StringField(j, "provider");
  absl::StatusOr<std::string> repo = StringField(j, "repo");
  absl::StatusOr<int64_t> number = IntegerField(j, "number");
  if (!provider_name.ok() || !repo.ok() || !number.ok()) {
    return Missing("provider`, `repo` or `number");
  }
  std::optional<Provider> provider = ParseProvider(*provider_name);
  if (!provider || repo->empty() || *number <= 0) {
    return absl::InvalidArgumentError("record has an invalid key");
  }
  return PreviewKey{*provider, *std::move(repo), *number};
}

absl::StatusOr<PreviewSpec> DecodeSpec(const nlohmann::json& j) {
  PreviewSpec spec;
  std::pair<const char*, std::string*> strings[] = {
      {"clone_url", &spec.clone_url}, {"head_sha", &spec.head_sha}, {"head_ref", &spec.head_ref},
      {"base_ref", &spec.base_ref},   {"title", &spec.title},       {"author", &spec.author}};
  for (auto& [field, target] : strings) {
    absl::StatusOr<std::string> value = StringField(j, field);
    if (!value.ok()) {
      return value.status();
    }
    *target = *std::move(value);
  }

  auto open = j.find("open");
  absl::StatusOr<int64_t> generation = IntegerField(j, "generation");
  absl::StatusOr<int64_t> created = IntegerField(j, "created_at");
  absl::StatusOr<int64_t> updated = IntegerField(j, "updated_at");
  if (open == j.end() || !open->is_boolean() || !generation.ok() || !created.ok() ||
      !updated.ok() || *generation <= 0) {
    return Missing("open`, `generation`, `created_at` or `updated_at");
  }
  spec.open = open->get<bool>();
  spec.generation = *generation;
  spec.created_at = absl::FromUnixNanos(*created);
  spec.updated_at = absl::FromUnixNanos(*updated);
  return spec;
}

// JSON holds only UTF-8; nlohmann_json throws on anything else, and the exception stops here.
absl::StatusOr<std::string> Dump(const nlohmann::json& j) {
  try {
    return j.dump();
  } catch (const nlohmann::json::type_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("preview fields must be valid UTF-8 text: ", e.what()));
  }
}

}  // namespace

absl::StatusOr<std::string> EncodeSpecRecord(const SpecRecord& record) {
  nlohmann::json j = {{"provider", ToStd(ProviderName(record.key.provider))},
                      {"repo", record.key.repo},
                      {"number", record.key.number}};
  if (!record.spec) {
    j["forget"] = true;
    return Dump(j);
  }

  const PreviewSpec& spec = *record.spec;
  j["clone_url"] = spec.clone_url;
  j["head_sha"] = spec.head_sha;
  j["head_ref"] = spec.head_ref;
  j["base_ref"] = spec.base_ref;
  j["title"] = spec.title;
  j["author"] = spec.author;
  j["open"] = spec.open;
  j["generation"] = spec.generation;
  j["created_at"] = TimeToNanos(spec.created_at);
  j["updated_at"] = TimeToNanos(spec.updated_at);
  return Dump(j);
}

absl::StatusOr<SpecRecord> DecodeSpecRecord(absl::string_view payload) {
  nlohmann::json j = nlohmann::json::parse(ToStd(payload), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return absl::InvalidArgumentError("record is not a JSON object");
  }

  absl::StatusOr<PreviewKey> key = DecodeKey(j);
  if (!key.ok()) {
    return key.status();
  }
  if (j.contains("forget")) {
    return SpecRecord{*std::move(key), std::nullopt};
  }
  absl::StatusOr<PreviewSpec> spec = DecodeSpec(j);
  if (!spec.ok()) {
    return spec.status();
  }
  return SpecRecord{*std::move(key), *std::move(spec)};
}

}  // namespace prevu::controller::store

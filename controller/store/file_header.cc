// Journal and snapshot headers as JSON; see file_header.h.
#include "controller/store/file_header.h"

#include "controller/base/strings.h"
#include "nlohmann/json.hpp"

namespace prevu::controller::store {
namespace {

constexpr int kFormatVersion = 1;

std::optional<int64_t> NonNegativeInteger(const nlohmann::json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() < 0) {
    return std::nullopt;
  }
  return it->get<int64_t>();
}

}  // namespace

std::string EncodeFileHeader(const FileHeader& header) {
  nlohmann::json j = {{"prevu_store", kFormatVersion},
                      {"kind", header.kind},
                      {"seq", header.seq},
                      {"count", header.count}};
  return j.dump();
}

std::optional<FileHeader> DecodeFileHeader(absl::string_view payload, absl::string_view kind) {
  nlohmann::json j = nlohmann::json::parse(ToStd(payload), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return std::nullopt;
  }

  std::optional<int64_t> version = NonNegativeInteger(j, "prevu_store");
  std::optional<int64_t> seq = NonNegativeInteger(j, "seq");
  std::optional<int64_t> count = NonNegativeInteger(j, "count");
  auto kind_field = j.find("kind");
  if (version != kFormatVersion || !seq || *seq == 0 || !count || kind_field == j.end() ||
      !kind_field->is_string() || kind_field->get<std::string>() != ToStd(kind)) {
    return std::nullopt;
  }
  return FileHeader{std::string(kind), *seq, *count};
}

}  // namespace prevu::controller::store

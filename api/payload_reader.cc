// Dotted-path access to webhook payloads; see payload_reader.h.
#include "api/payload_reader.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/json_scanner.h"
#include "controller/base/strings.h"

namespace prevu::api {
namespace {

absl::Status Missing(absl::string_view path) {
  return absl::InvalidArgumentError(absl::StrCat("missing field `", path, "`"));
}

absl::Status Wrong(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("field `", path, "` must be ", what));
}

bool IsRepoSegment(absl::string_view segment) {
  if (segment.empty() || segment == "." || segment == "..") {
    return false;
  }
  for (char c : segment) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<PayloadReader> PayloadReader::Parse(absl::string_view body,
                                                   const std::vector<absl::string_view>& paths) {
  PayloadReader reader;
  if (absl::Status status = JsonScanner(paths).Scan(body, &reader.fields_); !status.ok()) {
    return status;
  }
  return reader;
}

const nlohmann::json* PayloadReader::Find(absl::string_view path) const {
  auto it = fields_.find(path);
  return it == fields_.end() ? nullptr : &it->second;
}

absl::Status PayloadReader::Problems() const {
  if (problems_.empty()) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrJoin(problems_, "; "));
}

bool PayloadReader::Has(absl::string_view path) const {
  const nlohmann::json* node = Find(path);
  return node != nullptr && !node->is_null();
}

absl::StatusOr<std::string> PayloadReader::String(absl::string_view path) const {
  const nlohmann::json* node = Find(path);
  if (node == nullptr || node->is_null()) {
    return Missing(path);
  }
  if (!node->is_string()) {
    return Wrong(path, "a string");
  }
  return node->get<std::string>();
}

absl::StatusOr<std::string> PayloadReader::OptionalString(absl::string_view path) const {
  if (!Has(path)) {
    return std::string();
  }
  return String(path);
}

absl::StatusOr<int64_t> PayloadReader::PositiveInt(absl::string_view path) const {
  const nlohmann::json* node = Find(path);
  if (node == nullptr || node->is_null()) {
    return Missing(path);
  }
  if (!node->is_number_integer() || node->get<int64_t>() <= 0) {
    return Wrong(path, "a positive integer");
  }
  return node->get<int64_t>();
}

absl::StatusOr<std::string> PayloadReader::RepoPath(absl::string_view path) const {
  absl::StatusOr<std::string> text = String(path);
  if (!text.ok()) {
    return text;
  }
  std::vector<absl::string_view> segments = absl::StrSplit(*text, '/');
  bool valid = segments.size() >= 2;
  for (absl::string_view segment : segments) {
    valid = valid && IsRepoSegment(segment);
  }
  if (!valid) {
    return Wrong(path, "a repository path such as `owner/name` (letters, digits, `.`, `_`, `-`)");
  }
  return text;
}

absl::StatusOr<std::string> PayloadReader::CommitSha(absl::string_view path) const {
  absl::StatusOr<std::string> text = String(path);
  if (!text.ok()) {
    return text;
  }
  bool hex = text->size() == 40 || text->size() == 64;
  for (char c : *text) {
    hex = hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  }
  if (!hex) {
    return Wrong(path, "a full commit id of 40 or 64 hex digits");
  }
  absl::AsciiStrToLower(&*text);
  return text;
}

absl::StatusOr<std::string> PayloadReader::CloneUrl(absl::string_view path) const {
  absl::StatusOr<std::string> text = String(path);
  if (text.ok() && (text->empty() || text->front() == '-')) {
    return Wrong(path, "a clone URL such as `https://host/owner/name.git`");
  }
  return text;
}

}  // namespace prevu::api

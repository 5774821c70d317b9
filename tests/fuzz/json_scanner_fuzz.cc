// Differential fuzzing of the webhook payload scanner against nlohmann_json. Prevu reads payloads
// with a scanner of its own because it is about eight times faster than nlohmann's lexer on a
// 28 KB pull_request payload (README, "Toolchain notes"); this target holds it to the library:
// the same documents are valid, and every value kept is the value nlohmann reads.
#include <string>

#include "absl/strings/str_cat.h"
#include "api/json_scanner.h"
#include "nlohmann/json.hpp"
#include "tests/api/json_flatten.h"
#include "tests/fuzz/fuzz_support.h"

namespace prevu::api {
namespace {

using Fields = absl::flat_hash_map<std::string, nlohmann::json>;

// The deepest nesting of brackets in a valid JSON text, counted outside strings.
int Nesting(absl::string_view text) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

// The member names of all objects in `node`, arrays included; `dotted` is set when one holds a
// dot or is empty.
size_t CountNames(const nlohmann::json& node, bool* dotted) {
  size_t names = 0;
  if (!node.is_structured()) {
    return 0;  // items() of a scalar is the scalar itself
  }
  for (const auto& [key, value] : node.items()) {
    if (node.is_object()) {
      ++names;
      *dotted = *dotted || key.empty() || key.find('.') != std::string::npos;
    }
    names += CountNames(value, dotted);
  }
  return names;
}

}  // namespace
}  // namespace prevu::api

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using prevu::api::JsonScanner;
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  prevu::api::Fields scanned;
  absl::Status status = JsonScanner({}).Scan(text, &scanned);

  // A NUL byte is never valid JSON (not even inside a string), but nlohmann's lexer takes it
  // for the end of the input and accepts what came before.
  if (text.find('\0') != absl::string_view::npos) {
    FUZZ_CHECK(!status.ok());
    return 0;
  }
  bool valid = nlohmann::json::accept(text.begin(), text.end());
  int nesting = valid ? prevu::api::Nesting(text) : 0;
  if (nesting > JsonScanner::kMaxDepth + 2) {
    FUZZ_CHECK(!status.ok());  // refused as too deep, whatever nlohmann says
    return 0;
  }
  if (nesting > JsonScanner::kMaxDepth) {
    return 0;  // at the limit: where exactly it bites is the scanner's own rule
  }
  // A document with a repeated member name, or an empty one or one with a dot, has no single
  // meaning by dotted path: nlohmann keeps one of the repeated members, the paths of "a.b" and
  // a.b coincide, and so do those of {"": {"b": 1}} and {"b": 1}. Those documents are checked
  // for validity only.
  size_t names_read = 0;
  nlohmann::json document = nullptr;
  if (valid) {
    document = nlohmann::json::parse(
        text.begin(), text.end(), [&](int, nlohmann::json::parse_event_t event, nlohmann::json&) {
          names_read += event == nlohmann::json::parse_event_t::key;
          return true;
        });
  }
  FUZZ_CHECK(status.ok() == (valid && document.is_object()));
  if (!status.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(status));
    return 0;
  }
  bool dotted = false;
  if (prevu::api::CountNames(document, &dotted) != names_read || dotted) {
    return 0;
  }
  prevu::api::Fields expected;
  prevu::api::testing::Flatten(document, "", &expected);
  FUZZ_CHECK(scanned.size() == expected.size());
  for (const auto& [path, value] : expected) {
    auto it = scanned.find(path);
    FUZZ_CHECK(it != scanned.end() && it->second == value);
  }
  return 0;
}

// Every value of a JSON document outside arrays, by dotted path, in the form JsonScanner keeps
// them (objects and arrays as empty ones): what the scanner's unit test and its differential
// fuzz target compare it with.
#pragma once

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace prevu::api::testing {

inline void Flatten(const nlohmann::json& node, const std::string& path,
                    absl::flat_hash_map<std::string, nlohmann::json>* out) {
  for (const auto& [key, value] : node.items()) {
    std::string child = path.empty() ? key : absl::StrCat(path, ".", key);
    if (value.is_object()) {
      (*out)[child] = nlohmann::json::object();
      Flatten(value, child, out);
    } else if (value.is_array()) {
      (*out)[child] = nlohmann::json::array();
    } else {
      (*out)[child] = value;
    }
  }
}

}  // namespace prevu::api::testing

// Reading members of JSON that a CA (or a test's fake CA) sent, without exceptions: a member of
// the wrong type reads as absent. Internal to proxy/acme/.
#pragma once

#include <string>

#include "nlohmann/json.hpp"

namespace prevu::proxy::acme {

// The string member `name` of `object`, or nullptr when `object` is not an object or the member
// is absent or not a string.
inline const std::string* FindString(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) {
    return nullptr;
  }
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

// The string member `name`, or "" (see FindString).
inline std::string StringOrEmpty(const nlohmann::json& object, const char* name) {
  const std::string* value = FindString(object, name);
  return value != nullptr ? *value : std::string();
}

}  // namespace prevu::proxy::acme

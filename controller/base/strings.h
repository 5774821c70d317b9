// Debian 12 builds Abseil with its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW is 0),
// so absl::string_view and std::string_view are different types. Project code uses
// absl::string_view; these convert at the borders with Beast, toml++ and nlohmann_json, which
// use std::string_view.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace prevu {

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace prevu

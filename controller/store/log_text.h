// Passes a string value to log::Line::With() through its generic overload. The string overloads
// are declared in controller/base/log.h but not defined in log.cc (reported to the lead); once
// they are, `LogText(x)` can become plain `x`.
#pragma once

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace prevu::controller::store {

inline absl::AlphaNum LogText(absl::string_view text) { return absl::AlphaNum(text); }

}  // namespace prevu::controller::store

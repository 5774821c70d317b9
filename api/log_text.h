// Text values for log lines. controller/base/log.h declares Line::With(key, string_view) but
// log.cc does not define it yet, so string values are passed as absl::AlphaNum, which takes
// the header's template overload instead. Remove once log.cc defines the function.
#pragma once

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace prevu::api {

inline absl::AlphaNum LogText(absl::string_view text) { return absl::AlphaNum(text); }

}  // namespace prevu::api

// The dashboard served at GET /: dashboard/index.html, compiled into the binary so that Prevu
// needs no files beside itself. The page reads the status API from the browser.
#pragma once

#include "absl/strings/string_view.h"

namespace prevu::api {

// The page's HTML; static storage.
absl::string_view DashboardPage();

}  // namespace prevu::api

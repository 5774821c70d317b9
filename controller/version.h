// Version and build information, for `prevu version` and the API.
#pragma once

#include <string>

namespace prevu::controller {

std::string VersionText();  // "prevu 0.4.0 (commit abc123, built with GCC 12.2, Boost 1.74)"

}  // namespace prevu::controller

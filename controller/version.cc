// Version and build information; see version.h.
#include "controller/version.h"

#include <boost/version.hpp>

#include "absl/strings/str_cat.h"

#ifndef PREVU_VERSION
#define PREVU_VERSION "0.0.0"
#endif
#ifndef PREVU_COMMIT
#define PREVU_COMMIT "unknown"
#endif

namespace prevu::controller {

std::string VersionText() {
  return absl::StrCat("prevu ", PREVU_VERSION, " (commit ", PREVU_COMMIT, ", GCC ", __GNUC__, ".",
                      __GNUC_MINOR__, ", Boost ", BOOST_VERSION / 100000, ".",
                      BOOST_VERSION / 100 % 1000, ")");
}

}  // namespace prevu::controller

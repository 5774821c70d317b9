// What a SIGHUP reload may change while Prevu runs, and what needs a restart. Listening
// addresses, the state directory, the Docker socket, the names previews are served under, TLS and
// access control are fixed for the life of the process; the webhook secrets, the admin token,
// `[[repos]]`, the resource limits and the reconcile interval apply at once.
#pragma once

#include <string>
#include <vector>

#include "controller/config/host_config.h"

namespace prevu::controller {

struct ReloadPlan {
  HostConfig config;                 // `next` with every fixed key kept as `running` has it
  std::vector<std::string> restart;  // the fixed keys that differ, as written in prevu.toml
};

// Builds the configuration to swap in when `next` was read from the file while `running` is in
// force.
ReloadPlan PlanReload(const HostConfig& running, HostConfig next);

}  // namespace prevu::controller

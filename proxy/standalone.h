// `prevu proxy`: the data plane alone, with static routes from the command line, for
// benchmarks and for people who want only the proxy.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proxy/proxy_config.h"
#include "proxy/route_publisher.h"

namespace prevu::proxy {

// The command line, parsed and checked.
struct StandaloneOptions {
  ProxyConfig config;
  std::vector<Route> routes;
  std::string log_level = "info";
};

// The usage line printed on a usage error.
extern const char kStandaloneUsage[];

// Parses the arguments that follow the word `proxy` (a leading "proxy" is skipped too):
//   --listen ADDR:PORT [--threads N] [--route HOST=ADDR:PORT ...] [--trusted-proxy CIDR ...]
//   [--log-level debug|info|warn|error]
// Each option takes its value as the next argument or after "=". Returns InvalidArgument with a
// message naming the bad argument.
absl::StatusOr<StandaloneOptions> ParseStandaloneOptions(const std::vector<std::string>& args);

// Runs the proxy until SIGTERM or SIGINT, then drains in-flight requests and returns 0. Returns
// 2 (after printing the problem and the usage line) on a usage error, 1 when the port cannot be
// bound. Blocks SIGTERM and SIGINT in the calling thread, and so in the proxy's threads.
int RunStandaloneProxy(int argc, char** argv);

}  // namespace prevu::proxy

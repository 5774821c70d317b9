// `prevu proxy`: the data plane alone, with static routes from the command line, for
// benchmarks and for people who want only the proxy.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proxy/proxy_config.h"
#include "proxy/route_publisher.h"

namespace prevu::proxy {

// A certificate chain and its key, as PEM files.
struct CertificateFiles {
  std::string cert_file;
  std::string key_file;
};

// The command line, parsed and checked.
struct StandaloneOptions {
  ProxyConfig config;
  std::vector<Route> routes;
  std::vector<CertificateFiles> certificates;  // the i-th --cert with the i-th --key
  std::string log_level = "info";
};

// The usage line printed on a usage error.
extern const char kStandaloneUsage[];

// Parses the arguments that follow the word `proxy` (a leading "proxy" is skipped too):
//   --listen ADDR:PORT [--threads N] [--route HOST=ADDR:PORT ...] [--trusted-proxy CIDR ...]
//   [--tls-listen ADDR:PORT --cert FILE --key FILE [--cert FILE --key FILE ...]]
//   [--log-level debug|info|warn|error]
// Each option takes its value as the next argument or after "=". --tls-listen needs at least one
// --cert/--key pair and they need it. Returns InvalidArgument with a message naming the bad
// argument. The files are read by RunStandaloneProxy, not here.
absl::StatusOr<StandaloneOptions> ParseStandaloneOptions(const std::vector<std::string>& args);

// Runs the proxy until SIGTERM or SIGINT, then drains in-flight requests and returns 0. Returns
// 2 (after printing the problem and the usage line) on a usage error, 1 when a certificate file
// cannot be read or used or a port cannot be bound. Blocks SIGTERM and SIGINT in the calling
// thread, and so in the proxy's threads.
int RunStandaloneProxy(int argc, char** argv);

}  // namespace prevu::proxy

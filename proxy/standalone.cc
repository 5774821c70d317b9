// `prevu proxy`; see standalone.h.
#include "proxy/standalone.h"

#include <signal.h>

#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "controller/base/log.h"
#include "proxy/endpoint.h"
#include "proxy/proxy_server.h"

namespace prevu::proxy {
namespace {

absl::Status Usage(absl::string_view message) { return absl::InvalidArgumentError(message); }

// "HOST=ADDR:PORT" → a ready route. The upstream address is checked here so that a typo is a
// usage error, not a 502 at the first request.
absl::StatusOr<Route> ParseRoute(absl::string_view text) {
  size_t equals = text.find('=');
  if (equals == absl::string_view::npos || equals == 0) {
    return Usage(absl::StrCat("--route \"", text,
                              "\": write HOST=ADDR:PORT, such as shop.localhost=127.0.0.1:3000"));
  }
  absl::string_view upstream = text.substr(equals + 1);
  absl::StatusOr<Endpoint> endpoint = ParseHostPort(upstream);
  if (!endpoint.ok()) {
    return Usage(absl::StrCat("--route \"", text, "\": ", endpoint.status().message()));
  }

  Route route;
  route.host = std::string(text.substr(0, equals));
  route.ready = true;
  size_t colon = upstream.rfind(':');
  absl::string_view host = upstream.substr(0, colon);
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  route.upstream_host = std::string(host);
  route.upstream_port = endpoint->port;
  return route;
}

absl::Status ApplyOption(absl::string_view name, absl::string_view value,
                         StandaloneOptions* options) {
  if (name == "--listen") {
    absl::StatusOr<Endpoint> listen = ParseHostPort(value);
    if (!listen.ok()) {
      return Usage(absl::StrCat("--listen: ", listen.status().message()));
    }
    options->config.listen_host = listen->AddressString();
    options->config.listen_port = listen->port;
  } else if (name == "--threads") {
    if (!absl::SimpleAtoi(value, &options->config.threads) || options->config.threads < 0 ||
        options->config.threads > 1024) {
      return Usage(absl::StrCat("--threads \"", value, "\": write a number from 0 to 1024"));
    }
  } else if (name == "--route") {
    absl::StatusOr<Route> route = ParseRoute(value);
    if (!route.ok()) {
      return route.status();
    }
    options->routes.push_back(*std::move(route));
  } else if (name == "--tls-listen") {
    absl::StatusOr<Endpoint> listen = ParseHostPort(value);
    if (!listen.ok()) {
      return Usage(absl::StrCat("--tls-listen: ", listen.status().message()));
    }
    options->config.tls_listen = TlsListen{listen->AddressString(), listen->port};
  } else if (name == "--cert") {
    if (!options->certificates.empty() && options->certificates.back().key_file.empty()) {
      return Usage(absl::StrCat("--cert \"", options->certificates.back().cert_file,
                                "\" needs its --key FILE before the next --cert"));
    }
    options->certificates.push_back(CertificateFiles{std::string(value), ""});
  } else if (name == "--key") {
    if (options->certificates.empty() || !options->certificates.back().key_file.empty()) {
      return Usage(absl::StrCat("--key \"", value, "\": write it after its --cert FILE"));
    }
    options->certificates.back().key_file = std::string(value);
  } else if (name == "--trusted-proxy") {
    absl::StatusOr<TrustedNetwork> network = ParseTrustedNetwork(value);
    if (!network.ok()) {
      return Usage(absl::StrCat("--trusted-proxy: ", network.status().message()));
    }
    options->config.trusted_peers.push_back(*network);
  } else if (name == "--log-level") {
    log::Level level;
    if (!log::ParseLevel(value, &level)) {
      return Usage(absl::StrCat("--log-level \"", value, "\": write debug, info, warn or error"));
    }
    options->log_level = std::string(value);
  } else {
    return Usage(absl::StrCat("unknown option \"", name, "\""));
  }
  return absl::OkStatus();
}

// TLS needs a certificate, and a certificate is of no use without TLS.
absl::StatusOr<StandaloneOptions> CheckTls(StandaloneOptions& options) {
  if (!options.certificates.empty() && options.certificates.back().key_file.empty()) {
    return Usage(absl::StrCat("--cert \"", options.certificates.back().cert_file,
                              "\" needs its --key FILE"));
  }
  if (options.config.tls_listen && options.certificates.empty()) {
    return Usage("--tls-listen needs --cert FILE --key FILE");
  }
  if (!options.config.tls_listen && !options.certificates.empty()) {
    return Usage("--cert needs --tls-listen ADDR:PORT, such as --tls-listen 0.0.0.0:8443");
  }
  return std::move(options);
}

// Publishes the routes, installs the certificates and starts listening.
absl::Status Start(const StandaloneOptions& options, ProxyServer* server) {
  server->routes()->Publish(options.routes);
  for (const CertificateFiles& files : options.certificates) {
    absl::Status installed = server->certificates()->InstallFiles(files.cert_file, files.key_file);
    if (!installed.ok()) {
      return installed;
    }
  }
  return server->Start();
}

}  // namespace

const char kStandaloneUsage[] =
    "usage: prevu proxy --listen ADDR:PORT [--threads N] [--route HOST=ADDR:PORT ...] "
    "[--trusted-proxy CIDR ...] [--tls-listen ADDR:PORT --cert FILE --key FILE ...] "
    "[--log-level LEVEL]";

absl::StatusOr<StandaloneOptions> ParseStandaloneOptions(const std::vector<std::string>& args) {
  StandaloneOptions options;
  bool listen = false;
  size_t i = !args.empty() && args[0] == "proxy" ? 1 : 0;
  for (; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    absl::string_view name = arg;
    absl::string_view value;
    size_t equals = arg.find('=');
    if (absl::StartsWith(arg, "--") && equals != absl::string_view::npos) {
      name = arg.substr(0, equals);
      value = arg.substr(equals + 1);
    } else if (absl::StartsWith(arg, "--") && i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Usage(absl::StrCat("\"", arg, "\" needs a value, or is not an option"));
    }
    absl::Status status = ApplyOption(name, value, &options);
    if (!status.ok()) {
      return status;
    }
    listen = listen || name == "--listen";
  }
  if (!listen) {
    return Usage("--listen is required, such as --listen 0.0.0.0:8080");
  }
  return CheckTls(options);
}

int RunStandaloneProxy(int argc, char** argv) {
  absl::StatusOr<StandaloneOptions> options =
      ParseStandaloneOptions(std::vector<std::string>(argv, argv + argc));
  if (!options.ok()) {
    std::cerr << "prevu proxy: " << options.status().message() << "\n" << kStandaloneUsage << "\n";
    return 2;
  }
  log::Level level = log::Level::kInfo;
  log::ParseLevel(options->log_level, &level);
  log::SetLevel(level);

  // Block the stop signals before any proxy thread starts, so that only sigwait() sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &stop, &previous);

  int code = 0;
  {
    ProxyServer server(options->config, nullptr);
    absl::Status started = Start(*options, &server);
    if (!started.ok()) {
      std::cerr << "prevu proxy: " << started.message() << "\n";
      code = 1;
    } else {
      int signal = 0;
      sigwait(&stop, &signal);
      log::Info("stop signal received").With("signal", signal);
      server.Drain();
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return code;
}

}  // namespace prevu::proxy

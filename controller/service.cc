// `prevu serve`: builds every module from the host configuration and wires them together; see
// service.h.
#include "controller/service.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/api_service.h"
#include "api/http_server.h"
#include "controller/base/log.h"
#include "controller/base/metrics.h"
#include "controller/config/config_holder.h"
#include "controller/config/reload.h"
#include "controller/config/units.h"
#include "controller/desired_store.h"
#include "proxy/acme/acme_client.h"
#include "proxy/acme/certificate_manager.h"
#include "proxy/acme/challenge_store.h"
#include "proxy/auth/auth_settings.h"
#include "proxy/proxy_server.h"
#include "proxy/tls/certificate_store.h"
#include "reconciler/docker/docker_runtime.h"
#include "reconciler/git/git_source_fetcher.h"
#include "reconciler/reconciler.h"

namespace prevu::controller {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Adds the apex host, `[proxy] domain` itself, to every set of routes the reconciler publishes:
// the dashboard, the API and the webhook receivers are reached through the proxy's port. With
// ACME, the published host names are the only names certificates are requested for.
class ApexRoutePublisher : public proxy::RoutePublisher {
 public:
  // `certificates` may be null (no ACME).
  // Names that `covered` (the static certificate) covers are not ordered.
  ApexRoutePublisher(proxy::RoutePublisher* next, proxy::Route apex,
                     proxy::acme::CertificateManager* certificates,
                     const proxy::CertificateStore* covered)
      : next_(next), apex_(std::move(apex)), certificates_(certificates), covered_(covered) {}

  void Publish(std::vector<proxy::Route> routes) override {
    // First one wins in the proxy: the apex goes first, so a preview cannot shadow it.
    routes.insert(routes.begin(), apex_);
    if (certificates_ != nullptr) {
      std::vector<std::string> names;
      names.reserve(routes.size());
      for (const proxy::Route& route : routes) {
        if (!covered_->Covers(route.host)) {
          names.push_back(route.host);
        }
      }
      certificates_->SetNames(names);
    }
    next_->Publish(std::move(routes));
  }

 private:
  proxy::RoutePublisher* const next_;
  const proxy::Route apex_;
  proxy::acme::CertificateManager* const certificates_;
  const proxy::CertificateStore* const covered_;
};

// Where to connect to reach a server listening on `host`: a wildcard becomes loopback.
std::string ConnectHost(const std::string& host) {
  if (host == "0.0.0.0" || host.empty()) {
    return "127.0.0.1";
  }
  if (host == "::") {
    return "::1";
  }
  return host;
}

proxy::AuthMode ProxyAuthMode(AuthMode mode) {
  switch (mode) {
    case AuthMode::kNone:
      return proxy::AuthMode::kNone;
    case AuthMode::kPassword:
      return proxy::AuthMode::kPassword;
    case AuthMode::kForward:
      return proxy::AuthMode::kForward;
    case AuthMode::kBypassToken:
      return proxy::AuthMode::kBypassToken;
  }
  return proxy::AuthMode::kNone;
}

// `[auth]` as the proxy takes it. The secrets were resolved when the file was read.
proxy::AuthSettings ProxyAuthSettings(const AuthConfig& auth, std::string cookie_key) {
  proxy::AuthSettings settings;
  settings.mode = ProxyAuthMode(auth.mode);
  if (auth.password) {
    settings.password = auth.password->reveal();
  }
  settings.forward_url = auth.forward_url;
  settings.forward_response_headers = auth.forward_response_headers;
  if (auth.bypass_token) {
    settings.bypass_token = auth.bypass_token->reveal();
  }
  settings.cookie_ttl = auth.cookie_ttl;
  settings.cookie_key = std::move(cookie_key);
  return settings;
}

}  // namespace

class Service::Impl {
 public:
  Impl(HostConfig config, std::string config_path)
      : config_(config), holder_(std::move(config)), config_path_(std::move(config_path)) {}

  absl::Status Start();
  void Stop();
  absl::Status Reload();

  int api_port() const { return api_server_ ? api_server_->port() : 0; }
  int proxy_port() const { return proxy_ ? proxy_->port() : 0; }
  int tls_port() const { return proxy_ ? proxy_->tls_port() : 0; }

 private:
  absl::Status StartProxy();
  absl::Status ConfigureProxy(proxy::ProxyConfig& proxy_config);
  absl::Status StartCertificates();
  absl::Status StartApi();
  absl::Status StartReconciler();
  // The CertReady condition of a preview host, with TLS on.
  reconciler::CertificateCondition CertificateCondition(const std::string& host);

  // The configuration at start: what cannot change without a restart is read from here.
  const HostConfig config_;
  // The configuration in force, replaced by a reload.
  ConfigHolder holder_;
  const std::string config_path_;
  base::MetricsRegistry metrics_;
  std::unique_ptr<DesiredStore> store_;
  std::unique_ptr<proxy::ProxyServer> proxy_;
  proxy::ChallengeStore challenges_;
  proxy::CertificateStore static_names_;  // only `[tls] cert_file`, to ask what it covers
  std::unique_ptr<proxy::acme::AcmeClient> acme_;
  std::unique_ptr<proxy::acme::CertificateManager> certificates_;
  std::unique_ptr<ApexRoutePublisher> publisher_;
  std::unique_ptr<api::ApiService> api_service_;
  std::unique_ptr<api::HttpServer> api_server_;
  std::unique_ptr<reconciler::docker::DockerRuntime> runtime_;
  std::unique_ptr<reconciler::git::GitSourceFetcher> fetcher_;
  std::unique_ptr<reconciler::Reconciler> reconciler_;
  bool stopped_ = false;
};

absl::Status Service::Impl::Start() {
  DesiredStoreOptions store_options;
  store_options.metrics = &metrics_;
  absl::StatusOr<std::unique_ptr<DesiredStore>> store =
      OpenDesiredStore(config_.state.dir, base::Clock::Real(), store_options);
  if (!store.ok()) {
    return store.status();
  }
  store_ = *std::move(store);

  // The api first, so the proxy's apex route has somewhere to go; the reconciler last, so its
  // first pass publishes into a running proxy.
  if (absl::Status s = StartApi(); !s.ok()) {
    return s;
  }
  if (absl::Status s = StartProxy(); !s.ok()) {
    return s;
  }
  if (absl::Status s = StartReconciler(); !s.ok()) {
    return s;
  }

  log::Info("prevu serving")
      .With("config", config_path_.empty() ? "built-in defaults" : config_path_)
      .With("api_port", api_port())
      .With("proxy_port", proxy_port())
      .With("tls_port", tls_port())
      .With("domain", config_.proxy.domain)
      .With("state_dir", config_.state.dir);
  return absl::OkStatus();
}

absl::Status Service::Impl::StartApi() {
  api_service_ = std::make_unique<api::ApiService>(
      &holder_, store_.get(), &metrics_, base::Clock::Real(), [this]() -> absl::Status {
        if (reconciler_ == nullptr) {
          return absl::UnavailableError("starting");
        }
        if (!reconciler_->Healthy()) {
          return absl::UnavailableError(reconciler_->Problem());
        }
        return absl::OkStatus();
      });
  api::HttpServerOptions options;
  options.listen = config_.api.listen;
  // Handlers block while the store syncs; more threads let deliveries that arrive together
  // share one journal sync (four times the throughput of two threads in webhook_bench).
  options.threads = 8;
  absl::StatusOr<std::unique_ptr<api::HttpServer>> server =
      api::HttpServer::Start(options, api_service_.get());
  if (!server.ok()) {
    return absl::Status(server.status().code(),
                        absl::StrCat("[api] listen: ", server.status().message()));
  }
  api_server_ = *std::move(server);
  return absl::OkStatus();
}

absl::Status Service::Impl::StartProxy() {
  proxy::ProxyConfig proxy_config;
  if (absl::Status s = ConfigureProxy(proxy_config); !s.ok()) {
    return s;
  }
  proxy_ = std::make_unique<proxy::ProxyServer>(proxy_config, &metrics_);
  if (absl::Status s = StartCertificates(); !s.ok()) {
    return s;
  }
  if (absl::Status s = proxy_->Start(); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("[proxy] listen: ", s.message()));
  }
  if (certificates_ != nullptr) {
    certificates_->Start();
  }

  absl::StatusOr<ListenAddress> api_listen = ParseListenAddress(config_.api.listen);
  proxy::Route apex;
  apex.host = config_.proxy.domain;
  apex.ready = true;
  apex.upstream_host = ConnectHost(api_listen.ok() ? api_listen->host : "127.0.0.1");
  apex.upstream_port = static_cast<uint16_t>(api_port());
  apex.max_body_bytes = 25ll << 20;  // a webhook may be as large as GitHub allows
  // The forges' webhooks and the API have their own checks; preview access control is not theirs.
  apex.auth = proxy::RouteAuth::kNone;
  publisher_ = std::make_unique<ApexRoutePublisher>(proxy_->routes(), apex, certificates_.get(),
                                                    &static_names_);
  publisher_->Publish({});  // the apex answers before the first reconcile pass
  return absl::OkStatus();
}

absl::Status Service::Impl::ConfigureProxy(proxy::ProxyConfig& proxy_config) {
  absl::StatusOr<ListenAddress> listen = ParseListenAddress(config_.proxy.listen);
  if (!listen.ok()) {
    return listen.status();
  }
  proxy_config.listen_host = listen->host;
  proxy_config.listen_port = static_cast<uint16_t>(listen->port);
  proxy_config.threads = config_.proxy.threads;
  proxy_config.noindex = config_.proxy.noindex;

  if (config_.tls.enabled) {
    absl::StatusOr<ListenAddress> tls = ParseListenAddress(config_.tls.listen);
    if (!tls.ok()) {
      return absl::Status(tls.status().code(),
                          absl::StrCat("[tls] listen: ", tls.status().message()));
    }
    proxy_config.tls_listen =
        proxy::TlsListen{.host = tls->host, .port = static_cast<uint16_t>(tls->port)};
  }

  // The cookie key stays in the state directory, so sessions survive a restart.
  absl::StatusOr<std::string> cookie_key = proxy::LoadOrCreateCookieKey(config_.state.dir);
  if (!cookie_key.ok()) {
    return cookie_key.status();
  }
  proxy_config.auth = ProxyAuthSettings(config_.auth, *std::move(cookie_key));
  return absl::OkStatus();
}

absl::Status Service::Impl::StartCertificates() {
  if (!config_.tls.enabled) {
    return absl::OkStatus();
  }
  if (!config_.tls.cert_file.empty()) {
    // Served for the names it covers; `static_names_` answers which those are.
    for (proxy::CertificateStore* store : {proxy_->certificates(), &static_names_}) {
      absl::Status installed = store->InstallFiles(config_.tls.cert_file, config_.tls.key_file);
      if (!installed.ok()) {
        return absl::Status(installed.code(),
                            absl::StrCat("[tls] cert_file: ", installed.message()));
      }
    }
  }
  if (config_.tls.acme_email.empty()) {
    return absl::OkStatus();
  }

  proxy_->SetChallengeStore(&challenges_);
  absl::StatusOr<std::unique_ptr<proxy::acme::AcmeClient>> client =
      proxy::acme::AcmeClient::Create({.directory_url = config_.tls.acme_directory,
                                       .email = config_.tls.acme_email,
                                       .ca_file = config_.tls.acme_ca_file,
                                       .account_key_path = config_.state.dir + "/acme-account.key",
                                       .challenges = &challenges_});
  if (!client.ok()) {
    return absl::Status(client.status().code(),
                        absl::StrCat("[tls] ACME: ", client.status().message()));
  }
  acme_ = *std::move(client);
  certificates_ = std::make_unique<proxy::acme::CertificateManager>(
      proxy::acme::CertificateManagerOptions{.state_dir = config_.state.dir,
                                             .issuer = acme_.get(),
                                             .sink = proxy_->certificates(),
                                             .registry = &metrics_});
  return certificates_->Load();
}

reconciler::CertificateCondition Service::Impl::CertificateCondition(const std::string& host) {
  if (static_names_.Covers(host)) {
    return {true, "Static", absl::StrCat(host, " is covered by [tls] cert_file.")};
  }
  if (certificates_ == nullptr) {
    return {false, "NotCovered",
            absl::StrCat("[tls] cert_file does not cover ", host,
                         " and ACME is off (no [tls] acme_email): it is served over plain HTTP "
                         "only.")};
  }
  proxy::acme::CertificateStatus status = certificates_->Status(host);
  return {status.ready, status.reason, status.message};
}

absl::Status Service::Impl::StartReconciler() {
  reconciler::docker::DockerClient::Options docker;
  docker.socket_path = config_.docker.socket;
  docker.instance = config_.docker.instance;
  runtime_ = std::make_unique<reconciler::docker::DockerRuntime>(docker);
  fetcher_ =
      std::make_unique<reconciler::git::GitSourceFetcher>(reconciler::git::GitFetcher::Options{});

  // The preview URLs carry the proxy's real port (it may differ from the configured one with
  // port 0), and with TLS the HTTPS listener's.
  HostConfig reconciler_config = config_;
  reconciler::ReconcilerOptions options;
  bool https = config_.tls.enabled;
  absl::StatusOr<ListenAddress> listen =
      ParseListenAddress(https ? config_.tls.listen : config_.proxy.listen);
  if (listen.ok()) {
    reconciler_config.proxy.listen = absl::StrCat(
        absl::StrContains(listen->host, ':') ? absl::StrCat("[", listen->host, "]") : listen->host,
        ":", https ? tls_port() : proxy_port());
  }
  if (https) {
    options.url_scheme = "https";
  }
  if (https) {
    options.certificate_status = [this](const std::string& host) {
      return CertificateCondition(host);
    };
  }
  reconciler_ = std::make_unique<reconciler::Reconciler>(
      store_.get(), runtime_.get(), fetcher_.get(), publisher_.get(), reconciler_config,
      base::Clock::Real(), std::move(options));
  return reconciler_->Start();
}

void Service::Impl::Stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;

  // Stop taking new work first, then finish what is in flight, then release the store.
  if (reconciler_ != nullptr) {
    reconciler_->Stop();
  }
  if (certificates_ != nullptr) {
    certificates_->Stop();
  }
  if (proxy_ != nullptr) {
    proxy_->Drain();
  }
  if (api_server_ != nullptr) {
    api_server_->Stop();
  }
  log::Info("prevu stopped");
}

absl::Status Service::Impl::Reload() {
  if (config_path_.empty()) {
    return absl::FailedPreconditionError(
        "running on built-in defaults: there is no configuration file to reload");
  }
  absl::StatusOr<HostConfig> next = LoadHostConfig(config_path_);
  if (!next.ok()) {
    return next.status();
  }
  ReloadPlan plan = PlanReload(*holder_.Get(), *std::move(next));
  for (const std::string& key : plan.restart) {
    log::Warn("configuration key changed; it takes effect after a restart").With("key", key);
  }
  if (reconciler_ != nullptr) {
    reconciler_->SetConfig(plan.config);
  }
  holder_.Set(std::move(plan.config));
  return absl::OkStatus();
}

Service::Service(HostConfig config, std::string config_path)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(config_path))) {}

Service::~Service() { impl_->Stop(); }

absl::Status Service::Start() { return impl_->Start(); }
void Service::Stop() { impl_->Stop(); }
absl::Status Service::Reload() { return impl_->Reload(); }
int Service::api_port() const { return impl_->api_port(); }
int Service::proxy_port() const { return impl_->proxy_port(); }
int Service::tls_port() const { return impl_->tls_port(); }

namespace {

struct ServeArgs {
  std::string config_path;
  std::string log_level = "info";
};

// Accepts `--config FILE`, `--config=FILE`, `--log-level LEVEL` and `--log-level=LEVEL`.
absl::StatusOr<ServeArgs> ParseServeArgs(int argc, char** argv) {
  ServeArgs args;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    std::string* target = nullptr;
    std::string name = arg.substr(0, arg.find('='));
    if (name == "--config") {
      target = &args.config_path;
    } else if (name == "--log-level") {
      target = &args.log_level;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument `", arg, "`"));
    }
    if (arg.find('=') != std::string::npos) {
      *target = arg.substr(arg.find('=') + 1);
    } else if (i + 1 < argc) {
      *target = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("`", arg, "` needs a value"));
    }
  }
  return args;
}

}  // namespace

int RunServe(int argc, char** argv) {
  absl::StatusOr<ServeArgs> args = ParseServeArgs(argc, argv);
  log::Level level;
  if (!args.ok() || !log::ParseLevel(args->log_level, &level)) {
    std::fprintf(stderr, "prevu serve: %s\nusage: prevu serve [--config FILE] [--log-level %s]\n",
                 args.ok() ? "--log-level must be debug, info, warn or error"
                           : std::string(args.status().message()).c_str(),
                 "debug|info|warn|error");
    return kExitUsage;
  }
  log::SetLevel(level);

  absl::StatusOr<HostConfig> config =
      args->config_path.empty() ? DefaultHostConfig() : LoadHostConfig(args->config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str());
    return kExitFailure;
  }

  // Block the signals before any thread starts, so that only sigwait() below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Service service(*std::move(config), args->config_path);
  if (absl::Status started = service.Start(); !started.ok()) {
    log::Error("prevu cannot start").With("error", started.message());
    return kExitFailure;
  }
  for (;;) {
    int received = 0;
    sigwait(&signals, &received);
    if (received != SIGHUP) {
      log::Info("stopping").With("signal", received == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
    // A file that does not load leaves the running configuration in force.
    if (absl::Status reloaded = service.Reload(); !reloaded.ok()) {
      log::Error("configuration not reloaded; the running one stays in force")
          .With("error", reloaded.message());
    } else {
      log::Info("configuration reloaded").With("config", args->config_path);
    }
  }
  service.Stop();
  return kExitOk;
}

}  // namespace prevu::controller

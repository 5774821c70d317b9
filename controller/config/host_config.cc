// Parsing and validation of the host configuration, `prevu.toml`.
#include "controller/config/host_config.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "controller/base/strings.h"
#include "controller/config/config_reader.h"
#include "controller/config/units.h"
#include "controller/config/validators.h"

namespace prevu::controller {
namespace {

absl::Status CheckListen(absl::string_view text) { return ParseListenAddress(text).status(); }

absl::Status CheckNotEmpty(absl::string_view text) {
  return text.empty()
             ? absl::InvalidArgumentError("the value is empty; remove the key to use the default")
             : absl::OkStatus();
}

absl::Status CheckProvider(absl::string_view name) {
  if (ParseProvider(name)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("`", name, "` is not a provider; use `github` or `gitlab`"));
}

absl::Status CheckAuthMode(absl::string_view name) {
  if (ParseAuthMode(name)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "`", name, "` is not an auth mode; use `none`, `password`, `forward` or `bypass_token`"));
}

// Records a problem when a default is above its maximum. `at_default` or `at_max` locates it.
void CheckNotAboveMax(ConfigReader& reader, absl::string_view what, bool above,
                      const toml::node* at_default, const toml::node* at_max,
                      absl::string_view default_shown, absl::string_view max_shown) {
  if (!above || (at_default == nullptr && at_max == nullptr)) {
    return;
  }
  reader.Problem(at_default != nullptr ? at_default : at_max,
                 absl::StrCat("`default_", what, "` (", default_shown, ") is above `max_", what,
                              "` (", max_shown, "); lower the default or raise the maximum"));
}

// Reads one configuration into a HostConfig, collecting every problem.
class HostConfigParser {
 public:
  explicit HostConfigParser(absl::string_view path) : problems_(path) {}

  absl::StatusOr<HostConfig> Parse(absl::string_view text);

 private:
  void ReadApi(ConfigReader reader);
  void ReadProxy(ConfigReader reader);
  void ReadSimpleSections(ConfigReader& root);
  void ReadResources(ConfigReader reader);
  void ReadTls(ConfigReader reader);
  void CheckTlsCertificateSource(ConfigReader& reader, const toml::node* enabled,
                                 const toml::node* cert_file, const toml::node* key_file,
                                 const toml::node* acme_email);
  void ReadAuth(ConfigReader reader);
  void ReadRepos(ConfigReader& root);
  void ReadRepo(ConfigReader& entry);
  void CheckAuthModeUsable(ConfigReader& reader, AuthMode mode, const toml::node* at);
  void CheckListenersDiffer(ConfigReader& root);

  HostConfig config_;
  ConfigProblems problems_;
  const toml::node* api_listen_ = nullptr;
  const toml::node* proxy_listen_ = nullptr;
  const toml::node* tls_listen_ = nullptr;
  std::optional<ConfigReader> auth_;  // kept for the requirement checks of repository modes
};

absl::StatusOr<HostConfig> HostConfigParser::Parse(absl::string_view text) {
  std::optional<toml::table> document = ParseToml(text, &problems_);
  if (!document) {
    return problems_.ToStatus();
  }

  ConfigReader root(*document, "", &problems_);
  ReadApi(root.Section("api"));
  ReadProxy(root.Section("proxy"));
  ReadSimpleSections(root);
  ReadResources(root.Section("resources"));
  ReadTls(root.Section("tls"));
  ReadAuth(root.Section("auth"));
  ReadRepos(root);
  root.Finish();

  CheckListenersDiffer(root);
  if (!problems_.empty()) {
    return problems_.ToStatus();
  }
  return std::move(config_);
}

void HostConfigParser::ReadApi(ConfigReader reader) {
  api_listen_ = reader.String("listen", CheckListen, &config_.api.listen);
  reader.Secret("admin_token", "env:PREVU_ADMIN_TOKEN", &config_.api.admin_token);
  reader.Finish();
}

void HostConfigParser::ReadProxy(ConfigReader reader) {
  ProxyConfig& proxy = config_.proxy;
  proxy_listen_ = reader.String("listen", CheckListen, &proxy.listen);
  reader.String("domain", CheckDnsName, &proxy.domain);
  reader.String("host_template", CheckHostTemplate, &proxy.host_template);
  reader.Int("threads", 0, 256, &proxy.threads);
  reader.Bool("noindex", &proxy.noindex);
  reader.Finish();
}

void HostConfigParser::ReadSimpleSections(ConfigReader& root) {
  ConfigReader state = root.Section("state");
  state.String("dir", CheckNotEmpty, &config_.state.dir);
  state.Finish();

  ConfigReader docker = root.Section("docker");
  docker.String("socket", CheckNotEmpty, &config_.docker.socket);
  docker.String("instance", CheckInstanceName, &config_.docker.instance);
  docker.Finish();

  ConfigReader reconcile = root.Section("reconcile");
  reconcile.Duration("interval", absl::Seconds(1), absl::Hours(24), &config_.reconcile.interval);
  reconcile.Int("max_parallel_builds", 1, 64, &config_.reconcile.max_parallel_builds);
  reconcile.Finish();

  ConfigReader github = root.Section("github");
  github.Secret("webhook_secret", "env:PREVU_GITHUB_SECRET", &config_.github.webhook_secret);
  github.Finish();

  ConfigReader gitlab = root.Section("gitlab");
  gitlab.Secret("webhook_token", "env:PREVU_GITLAB_TOKEN", &config_.gitlab.webhook_token);
  gitlab.Finish();
}

void HostConfigParser::ReadResources(ConfigReader reader) {
  ResourceLimits& limits = config_.resources;
  const toml::node* default_memory =
      reader.Size("default_memory", kMinMemoryBytes, kMaxMemoryBytes, &limits.default_memory_bytes);
  const toml::node* max_memory =
      reader.Size("max_memory", kMinMemoryBytes, kMaxMemoryBytes, &limits.max_memory_bytes);
  const toml::node* default_cpus = reader.Cpus("default_cpus", &limits.default_cpus);
  const toml::node* max_cpus = reader.Cpus("max_cpus", &limits.max_cpus);
  const toml::node* default_pids = reader.Int("default_pids", 1, kMaxPids, &limits.default_pids);
  const toml::node* max_pids = reader.Int("max_pids", 1, kMaxPids, &limits.max_pids);
  reader.Finish();

  CheckNotAboveMax(reader, "memory", limits.default_memory_bytes > limits.max_memory_bytes,
                   default_memory, max_memory, SizeToText(limits.default_memory_bytes),
                   SizeToText(limits.max_memory_bytes));
  CheckNotAboveMax(reader, "cpus", limits.default_cpus > limits.max_cpus, default_cpus, max_cpus,
                   absl::StrCat(limits.default_cpus), absl::StrCat(limits.max_cpus));
  CheckNotAboveMax(reader, "pids", limits.default_pids > limits.max_pids, default_pids, max_pids,
                   absl::StrCat(limits.default_pids), absl::StrCat(limits.max_pids));
}

void HostConfigParser::ReadTls(ConfigReader reader) {
  TlsConfig& tls = config_.tls;
  const toml::node* enabled = reader.Bool("enabled", &tls.enabled);
  tls_listen_ = reader.String("listen", CheckListen, &tls.listen);
  const toml::node* cert_file = reader.String("cert_file", CheckNotEmpty, &tls.cert_file);
  const toml::node* key_file = reader.String("key_file", CheckNotEmpty, &tls.key_file);
  reader.String("acme_directory", CheckHttpUrl, &tls.acme_directory);
  const toml::node* acme_email = reader.String("acme_email", CheckEmail, &tls.acme_email);
  reader.String("acme_ca_file", CheckNotEmpty, &tls.acme_ca_file);
  reader.Finish();

  if (enabled == nullptr) {
    tls.enabled = !tls.cert_file.empty() || !tls.acme_email.empty();
  }
  CheckTlsCertificateSource(reader, enabled, cert_file, key_file, acme_email);
}

void HostConfigParser::CheckTlsCertificateSource(ConfigReader& reader, const toml::node* enabled,
                                                 const toml::node* cert_file,
                                                 const toml::node* key_file,
                                                 const toml::node* acme_email) {
  const TlsConfig& tls = config_.tls;
  if (cert_file != nullptr && key_file == nullptr) {
    reader.Problem(cert_file, "`cert_file` needs `key_file`, the private key of the certificate");
  }
  if (key_file != nullptr && cert_file == nullptr) {
    reader.Problem(key_file, "`key_file` needs `cert_file`, the certificate chain it belongs to");
  }
  if (tls.enabled && tls.cert_file.empty() && tls.acme_email.empty() && enabled != nullptr) {
    reader.Problem(enabled,
                   "TLS is enabled but has no certificate: set `cert_file` and "
                   "`key_file`, or `acme_email` to get one from ACME");
  }
  std::string domain = absl::AsciiStrToLower(config_.proxy.domain);
  bool local = domain == "localhost" || absl::EndsWith(domain, ".localhost");
  if (tls.enabled && !tls.acme_email.empty() && local) {
    reader.Problem(acme_email,
                   "ACME cannot issue certificates for `localhost`; set `[proxy] domain` to a "
                   "public name, or use `cert_file` and `key_file`");
  }
}

void HostConfigParser::ReadAuth(ConfigReader reader) {
  AuthConfig& auth = config_.auth;
  std::string mode;
  const toml::node* mode_node = reader.String("mode", CheckAuthMode, &mode);
  if (mode_node != nullptr) {
    auth.mode = *ParseAuthMode(mode);
  }
  reader.Secret("password", "", &auth.password);
  reader.String("forward_url", CheckHttpUrl, &auth.forward_url);
  reader.StringArray("forward_response_headers", CheckHeaderName, &auth.forward_response_headers);
  reader.Secret("bypass_token", "", &auth.bypass_token);
  reader.Duration("cookie_ttl", absl::Minutes(1), absl::Hours(24 * 365), &auth.cookie_ttl);
  reader.Finish();

  auth_ = reader;
  CheckAuthModeUsable(reader, auth.mode, mode_node);
}

void HostConfigParser::CheckAuthModeUsable(ConfigReader& reader, AuthMode mode,
                                           const toml::node* at) {
  const AuthConfig& auth = config_.auth;
  absl::string_view needed;
  bool missing = false;
  if (mode == AuthMode::kPassword) {
    needed = "password";
    missing = !auth.password.has_value();
  } else if (mode == AuthMode::kForward) {
    needed = "forward_url";
    missing = auth.forward_url.empty();
  } else if (mode == AuthMode::kBypassToken) {
    needed = "bypass_token";
    missing = !auth.bypass_token.has_value();
  }

  // A key that is written but invalid has its own problem already.
  const toml::node* written = needed.empty() ? nullptr : auth_->table().get(ToStd(needed));
  bool reported =
      written != nullptr && !(written->is_string() && written->as_string()->get().empty());
  if (missing && !reported) {
    reader.Problem(
        at, absl::StrCat("auth mode `", AuthModeName(mode), "` needs `", needed, "` in `[auth]`"));
  }
}

void HostConfigParser::ReadRepos(ConfigReader& root) {
  for (ConfigReader& entry : root.TableArray("repos")) {
    ReadRepo(entry);
  }
}

void HostConfigParser::ReadRepo(ConfigReader& entry) {
  RepoEntry repo;
  std::string provider;
  std::string auth_mode;
  const toml::node* provider_node = entry.String("provider", CheckProvider, &provider);
  const toml::node* name_node = entry.String("name", CheckRepoName, &repo.name);
  entry.String("clone_url", CheckCloneUrl, &repo.clone_url);
  entry.Secret("git_token", "", &repo.git_token);
  const toml::node* auth_node = entry.String("auth_mode", CheckAuthMode, &auth_mode);
  entry.Finish();

  if (!entry.table().contains("provider")) {
    entry.Problem(nullptr, "a `[[repos]]` entry needs `provider`: `github` or `gitlab`");
  }
  if (!entry.table().contains("name")) {
    entry.Problem(nullptr, "a `[[repos]]` entry needs `name`, such as `acme/shop`");
  }
  if (provider_node == nullptr || name_node == nullptr) {
    return;
  }

  repo.provider = *ParseProvider(provider);
  if (auth_node != nullptr) {
    repo.auth_mode = ParseAuthMode(auth_mode);
    CheckAuthModeUsable(entry, *repo.auth_mode, auth_node);
  }
  if (config_.FindRepo(repo.provider, repo.name) != nullptr) {
    entry.Problem(name_node, absl::StrCat("`", repo.name, "` is listed twice for ", provider));
  }
  config_.repos.push_back(std::move(repo));
}

void HostConfigParser::CheckListenersDiffer(ConfigReader& root) {
  struct Listener {
    const std::string* address;
    const toml::node* node;
    absl::string_view name;
  };
  std::vector<Listener> listeners = {{&config_.api.listen, api_listen_, "[api] listen"},
                                     {&config_.proxy.listen, proxy_listen_, "[proxy] listen"}};
  if (config_.tls.enabled) {
    listeners.push_back({&config_.tls.listen, tls_listen_, "[tls] listen"});
  }

  // Port 0 asks the kernel for a free port, so two such listeners never collide.
  for (size_t i = 0; i < listeners.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      absl::StatusOr<ListenAddress> a = ParseListenAddress(*listeners[i].address);
      absl::StatusOr<ListenAddress> b = ParseListenAddress(*listeners[j].address);
      if (a.ok() && b.ok() && a->port != 0 && a->port == b->port && a->host == b->host) {
        root.Problem(listeners[i].node != nullptr ? listeners[i].node : listeners[j].node,
                     absl::StrCat("`", listeners[i].name, "` uses the same address as `",
                                  listeners[j].name, "`"));
      }
    }
  }
}

}  // namespace

absl::string_view AuthModeName(AuthMode mode) {
  switch (mode) {
    case AuthMode::kNone:
      return "none";
    case AuthMode::kPassword:
      return "password";
    case AuthMode::kForward:
      return "forward";
    case AuthMode::kBypassToken:
      return "bypass_token";
  }
  return "none";
}

std::optional<AuthMode> ParseAuthMode(absl::string_view name) {
  for (AuthMode mode :
       {AuthMode::kNone, AuthMode::kPassword, AuthMode::kForward, AuthMode::kBypassToken}) {
    if (name == AuthModeName(mode)) {
      return mode;
    }
  }
  return std::nullopt;
}

const RepoEntry* HostConfig::FindRepo(Provider provider, absl::string_view name) const {
  for (const RepoEntry& repo : repos) {
    if (repo.provider == provider && absl::EqualsIgnoreCase(repo.name, name)) {
      return &repo;
    }
  }
  return nullptr;
}

absl::StatusOr<HostConfig> ParseHostConfig(absl::string_view toml_text, absl::string_view path) {
  return HostConfigParser(path).Parse(toml_text);
}

absl::StatusOr<HostConfig> LoadHostConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadConfigFile(path);
  if (!text.ok()) {
    return text.status();
  }
  return ParseHostConfig(*text, path);
}

HostConfig DefaultHostConfig() {
  // An empty file is all defaults; it cannot fail, as nothing in it is written by a user.
  absl::StatusOr<HostConfig> config = ParseHostConfig("", "(built-in defaults)");
  return config.ok() ? *std::move(config) : HostConfig{};
}

}  // namespace prevu::controller

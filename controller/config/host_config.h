// The host configuration (`prevu.toml`): parsed and validated once into an immutable value.
// A reload builds a new HostConfig and swaps it in whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "controller/config/secret.h"
#include "controller/preview.h"

namespace prevu::controller {

struct ApiConfig {
  std::string listen = "127.0.0.1:9080";
  std::optional<Secret> admin_token;  // default env:PREVU_ADMIN_TOKEN, absent when unset
};

struct ProxyConfig {
  std::string listen = "0.0.0.0:8080";
  std::string domain = "localhost";
  std::string host_template = "pr-{number}-{repo}";
  int threads = 0;      // 0 = one per core
  bool noindex = true;  // X-Robots-Tag: noindex on preview responses
};

struct StateConfig {
  std::string dir = "./prevu-data";
};

struct DockerConfig {
  std::string socket = "/var/run/docker.sock";
  // Scopes this Prevu to its own Docker objects when several share one daemon; "" is the
  // default instance (see reconciler::docker::DockerClient::Options::instance).
  std::string instance;
};

struct ReconcileConfig {
  absl::Duration interval = absl::Seconds(10);
  int max_parallel_builds = 2;
};

// Resource limits applied to preview containers: the default when a repository sets none and
// the maximum it may ask for.
struct ResourceLimits {
  int64_t default_memory_bytes = int64_t{512} << 20;
  int64_t max_memory_bytes = int64_t{2} << 30;
  double default_cpus = 0.5;
  double max_cpus = 2.0;
  int64_t default_pids = 256;
  int64_t max_pids = 1024;

  bool operator==(const ResourceLimits&) const = default;
};

struct GitHubConfig {
  std::optional<Secret> webhook_secret;  // default env:PREVU_GITHUB_SECRET, absent when unset
};

struct GitLabConfig {
  std::optional<Secret> webhook_token;  // default env:PREVU_GITLAB_TOKEN, absent when unset
};

// TLS on the proxy (`[tls]`). The rule: when `enabled` is written, it decides; when it is not,
// TLS is on exactly when `cert_file` or `acme_email` is set. With TLS on, certificates come from
// `cert_file` and `key_file` (both required together) for the names that certificate covers
// (a wildcard, say), and from ACME, which needs `acme_email`, for the others; with no ACME, names
// the file does not cover are served over plain HTTP only. ACME cannot serve `localhost`.
struct TlsConfig {
  bool enabled = false;
  std::string listen = "0.0.0.0:8443";
  std::string cert_file;  // PEM chain; with key_file, for the names it covers
  std::string key_file;
  std::string acme_directory = "https://acme-v02.api.letsencrypt.org/directory";
  std::string acme_email;
  std::string acme_ca_file;  // CA bundle to trust the ACME server; empty = the system's
};

// How previews are protected (`[auth] mode`, or `[[repos]] auth_mode` for one repository).
enum class AuthMode {
  kNone,         // anyone who knows the URL
  kPassword,     // a shared password, then a signed cookie
  kForward,      // ask `forward_url` (an identity-aware proxy) about every request
  kBypassToken,  // only requests that carry the bypass token, then a signed cookie
};

absl::string_view AuthModeName(AuthMode mode);  // "none", "password", "forward", "bypass_token"
std::optional<AuthMode> ParseAuthMode(absl::string_view name);

// `[auth]`. Every mode in use (here or in a repository entry) must have what it needs:
// `password`, `forward_url` or `bypass_token`; the parser checks that.
struct AuthConfig {
  AuthMode mode = AuthMode::kNone;
  std::optional<Secret> password;
  std::string forward_url;                            // http or https
  std::vector<std::string> forward_response_headers;  // copied from the answer to the upstream
  std::optional<Secret> bypass_token;
  absl::Duration cookie_ttl = absl::Hours(24);  // 1m to 365d
};

// One entry of the optional `[[repos]]` allow-list. `provider` and `name` are required.
struct RepoEntry {
  Provider provider = Provider::kGitHub;
  std::string name;                   // "acme/shop", or a nested GitLab path
  std::string clone_url;              // empty = take it from the webhook payload
  std::optional<Secret> git_token;    // for private repositories; never logged
  std::optional<AuthMode> auth_mode;  // absent = `[auth] mode`
};

struct HostConfig {
  ApiConfig api;
  ProxyConfig proxy;
  StateConfig state;
  DockerConfig docker;
  ReconcileConfig reconcile;
  ResourceLimits resources;
  GitHubConfig github;
  GitLabConfig gitlab;
  TlsConfig tls;
  AuthConfig auth;
  std::vector<RepoEntry> repos;  // empty = any signed delivery is accepted

  // The entry for this repository, or null. With no allow-list configured, also null. Names
  // compare without regard to case, as both forges treat them.
  const RepoEntry* FindRepo(Provider provider, absl::string_view name) const;
};

// Parses and validates a host configuration. On failure the status is InvalidArgument and its
// message holds every problem, one per line, as "FILE:LINE:COL: sentence". `path` is used in
// messages only. Secrets are resolved here (`file:` paths relative to the working directory);
// the default `env:` secrets that are unset leave their optional empty.
absl::StatusOr<HostConfig> ParseHostConfig(absl::string_view toml_text, absl::string_view path);

// Reads and parses the file at `path`: NotFound when it does not exist, InvalidArgument as above.
absl::StatusOr<HostConfig> LoadHostConfig(const std::string& path);

// The built-in defaults, resolving the default `env:` secrets that are set.
HostConfig DefaultHostConfig();

}  // namespace prevu::controller

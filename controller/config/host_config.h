// The host configuration (`prevu.toml`): parsed and validated once into an immutable value.
// A reload builds a new HostConfig and swaps it in whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
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
};

struct GitHubConfig {
  std::optional<Secret> webhook_secret;  // default env:PREVU_GITHUB_SECRET, absent when unset
};

struct GitLabConfig {
  std::optional<Secret> webhook_token;  // default env:PREVU_GITLAB_TOKEN, absent when unset
};

// One entry of the optional `[[repos]]` allow-list.
struct RepoEntry {
  Provider provider = Provider::kGitHub;
  std::string name;                 // "acme/shop", or a nested GitLab path
  std::string clone_url;            // empty = take it from the webhook payload
  std::optional<Secret> git_token;  // for private repositories; never logged
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
  std::vector<RepoEntry> repos;  // empty = any signed delivery is accepted

  // The entry for this repository, or null. With no allow-list configured, also null.
  const RepoEntry* FindRepo(Provider provider, absl::string_view name) const;
};

// Parses and validates a host configuration. On failure the status message holds every problem,
// one per line, as "FILE:LINE:COL: sentence". `path` is used in messages only.
absl::StatusOr<HostConfig> ParseHostConfig(absl::string_view toml_text, absl::string_view path);

// Reads and parses the file at `path`.
absl::StatusOr<HostConfig> LoadHostConfig(const std::string& path);

// The built-in defaults, resolving the default `env:` secrets that are set.
HostConfig DefaultHostConfig();

}  // namespace prevu::controller

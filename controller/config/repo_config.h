// The repository configuration (`.prevu.toml`) found at the root of the fetched tree.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace prevu::controller {

struct BuildSettings {
  std::string dockerfile = "Dockerfile";
  std::string context = ".";
  std::string target;
  std::map<std::string, std::string> args;
};

struct RunSettings {
  int port = 8080;
  std::vector<std::string> command;  // empty = the image's own command
  std::map<std::string, std::string> env;
  std::string health_path = "/";
};

// Unset fields take the host's defaults; set ones are checked against the host's maxima.
struct ResourceSettings {
  std::optional<int64_t> memory_bytes;
  std::optional<double> cpus;
  std::optional<int64_t> pids;
};

struct PreviewSettings {
  absl::Duration ttl = absl::Hours(24 * 7);
};

struct RepoConfig {
  int version = 1;
  BuildSettings build;
  RunSettings run;
  ResourceSettings resources;
  PreviewSettings preview;
};

// Parses and validates `.prevu.toml`. On failure the status message holds every problem, one per
// line, as "FILE:LINE:COL: sentence". `path` is used in messages only.
absl::StatusOr<RepoConfig> ParseRepoConfig(absl::string_view toml_text, absl::string_view path);

// Reads and parses the file; a missing file is NotFound (callers decide whether that means
// defaults).
absl::StatusOr<RepoConfig> LoadRepoConfig(const std::string& path);

}  // namespace prevu::controller

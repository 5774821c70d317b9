// Parsing and validation of the repository configuration, `.prevu.toml`.
#include "controller/config/repo_config.h"

#include <climits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "controller/config/config_reader.h"
#include "controller/config/units.h"
#include "controller/config/validators.h"

namespace prevu::controller {
namespace {

absl::Status AnyString(absl::string_view) { return absl::OkStatus(); }

absl::Status CheckBuildArgName(absl::string_view name) {
  if (name.empty() || name.find('=') != absl::string_view::npos) {
    return absl::InvalidArgumentError("a build argument name must be non-empty and without `=`");
  }
  return absl::OkStatus();
}

void ReadBuild(ConfigReader reader, BuildSettings* build) {
  reader.String("dockerfile", CheckRelativePath, &build->dockerfile);
  reader.String("context", CheckRelativePath, &build->context);
  reader.String("target", &build->target);
  reader.StringMap("args", CheckBuildArgName, &build->args);
  reader.Finish();
}

void ReadRun(ConfigReader reader, RunSettings* run) {
  reader.Port("port", &run->port);
  reader.StringArray("command", AnyString, &run->command);
  reader.StringMap("env", CheckEnvName, &run->env);
  reader.String("health_path", CheckUrlPath, &run->health_path);
  reader.Finish();
}

void ReadResources(ConfigReader reader, ResourceSettings* resources) {
  int64_t memory = 0;
  double cpus = 0;
  int64_t pids = 0;
  if (reader.Size("memory", kMinMemoryBytes, kMaxMemoryBytes, &memory) != nullptr) {
    resources->memory_bytes = memory;
  }
  if (reader.Cpus("cpus", &cpus) != nullptr) {
    resources->cpus = cpus;
  }
  if (reader.Int("pids", 1, kMaxPids, &pids) != nullptr) {
    resources->pids = pids;
  }
  reader.Finish();
}

void ReadPreview(ConfigReader reader, PreviewSettings* preview) {
  reader.Duration("ttl", absl::Minutes(1), absl::Hours(24 * 365), &preview->ttl);
  reader.Finish();
}

}  // namespace

absl::StatusOr<RepoConfig> ParseRepoConfig(absl::string_view toml_text, absl::string_view path) {
  ConfigProblems problems(path);
  std::optional<toml::table> document = ParseToml(toml_text, &problems);
  if (!document) {
    return problems.ToStatus();
  }

  RepoConfig config;
  ConfigReader root(*document, "", &problems);
  const toml::node* version = root.Int("version", INT_MIN, INT_MAX, &config.version);
  if (version != nullptr && config.version != 1) {
    root.Problem(version, absl::StrCat("`version` must be 1, the only version this Prevu reads, "
                                       "not ",
                                       config.version));
  }
  ReadBuild(root.Section("build"), &config.build);
  ReadRun(root.Section("run"), &config.run);
  ReadResources(root.Section("resources"), &config.resources);
  ReadPreview(root.Section("preview"), &config.preview);
  root.Finish();

  if (!problems.empty()) {
    return problems.ToStatus();
  }
  return config;
}

absl::StatusOr<RepoConfig> LoadRepoConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadConfigFile(path);
  if (!text.ok()) {
    return text.status();
  }
  return ParseRepoConfig(*text, path);
}

}  // namespace prevu::controller

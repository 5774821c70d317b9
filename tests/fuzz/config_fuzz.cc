// Fuzzes the readers of the host configuration (`prevu.toml`) and the repository configuration
// (`.prevu.toml`, which arrives with every pull request). Both parse every input. A file that is
// accepted must hold values within the documented limits; one that is refused must list its
// problems one per line, each with its position, whatever bytes the file quoted.
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "controller/config/host_config.h"
#include "controller/config/repo_config.h"
#include "controller/config/units.h"
#include "tests/fuzz/fuzz_support.h"

namespace prevu::controller {
namespace {

void CheckProblems(const absl::Status& status, absl::string_view path) {
  FUZZ_CHECK(absl::IsInvalidArgument(status));
  for (absl::string_view line : absl::StrSplit(status.message(), '\n')) {
    FUZZ_CHECK(absl::StartsWith(line, absl::StrCat(path, ":")));
  }
}

void CheckHost(const HostConfig& config) {
  FUZZ_CHECK(ParseListenAddress(config.api.listen).ok());
  FUZZ_CHECK(ParseListenAddress(config.proxy.listen).ok());
  FUZZ_CHECK(ParseListenAddress(config.tls.listen).ok());
  FUZZ_CHECK(config.proxy.threads >= 0);

  const ResourceLimits& limits = config.resources;
  FUZZ_CHECK(limits.default_memory_bytes >= kMinMemoryBytes &&
             limits.default_memory_bytes <= limits.max_memory_bytes &&
             limits.max_memory_bytes <= kMaxMemoryBytes);
  FUZZ_CHECK(limits.default_cpus >= kMinCpus && limits.default_cpus <= limits.max_cpus &&
             limits.max_cpus <= kMaxCpus);
  FUZZ_CHECK(limits.default_pids >= 1 && limits.default_pids <= limits.max_pids &&
             limits.max_pids <= kMaxPids);
  FUZZ_CHECK(config.reconcile.interval > absl::ZeroDuration());
  FUZZ_CHECK(config.auth.cookie_ttl >= absl::Minutes(1) &&
             config.auth.cookie_ttl <= absl::Hours(24 * 365));
  for (const RepoEntry& repo : config.repos) {
    FUZZ_CHECK(!repo.name.empty());
    FUZZ_CHECK(config.FindRepo(repo.provider, repo.name) != nullptr);
  }
}

void CheckRepo(const RepoConfig& config) {
  FUZZ_CHECK(config.run.port >= 1 && config.run.port <= 65535);
  const ResourceSettings& resources = config.resources;
  FUZZ_CHECK(!resources.memory_bytes || (*resources.memory_bytes >= kMinMemoryBytes &&
                                         *resources.memory_bytes <= kMaxMemoryBytes));
  FUZZ_CHECK(!resources.cpus || (*resources.cpus >= kMinCpus && *resources.cpus <= kMaxCpus));
  FUZZ_CHECK(!resources.pids || (*resources.pids >= 1 && *resources.pids <= kMaxPids));
  FUZZ_CHECK(config.preview.ttl >= absl::Minutes(1) && config.preview.ttl <= absl::Hours(24 * 365));
}

// The fixture in the seeds names its secrets `env:PREVU_FIXTURE_...`; with them set it parses,
// and mutations of it reach the checks of an accepted file.
bool SetFixtureSecrets() {
  for (const char* name :
       {"PREVU_FIXTURE_ADMIN_TOKEN", "PREVU_FIXTURE_GITHUB_SECRET", "PREVU_FIXTURE_GITLAB_TOKEN"}) {
    setenv(name, "fuzz-secret", /*overwrite=*/0);
  }
  return true;
}

}  // namespace
}  // namespace prevu::controller

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace controller = prevu::controller;
  static const bool secrets_set = controller::SetFixtureSecrets();
  (void)secrets_set;
  std::string text(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<controller::HostConfig> host = controller::ParseHostConfig(text, "prevu.toml");
  if (host.ok()) {
    controller::CheckHost(*host);
  } else {
    controller::CheckProblems(host.status(), "prevu.toml");
  }

  absl::StatusOr<controller::RepoConfig> repo = controller::ParseRepoConfig(text, ".prevu.toml");
  if (repo.ok()) {
    controller::CheckRepo(*repo);
  } else {
    controller::CheckProblems(repo.status(), ".prevu.toml");
  }
  return 0;
}

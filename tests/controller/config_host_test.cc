// Tests of the host configuration: defaults, valid files, and one case per class of error.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controller/config/host_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/config_test_util.h"

namespace prevu::controller {
namespace {

using ::testing::ElementsAre;
using testing::ErrorCase;
using testing::ErrorCaseName;
using testing::FixturePath;
using ::testing::HasSubstr;
using testing::ProblemLines;
using testing::ScopedEnv;
using ::testing::SizeIs;

std::vector<std::string> HostProblems(absl::string_view text) {
  return ProblemLines(ParseHostConfig(text, "prevu.toml"));
}

// The sample of DESIGN.md, word for word.
constexpr absl::string_view kDesignSample = R"toml([api]
listen = "127.0.0.1:9080"        # webhooks, status API, dashboard
admin_token = "env:PREVU_ADMIN_TOKEN"   # for mutating API calls

[proxy]
listen = "0.0.0.0:8080"          # plain HTTP
domain = "localhost"             # previews live at <name>.<domain>
host_template = "pr-{number}-{repo}"
threads = 0                      # 0 = one per core

[state]
dir = "./prevu-data"             # durable desired state, certificates

[docker]
socket = "/var/run/docker.sock"

[reconcile]
interval = "10s"
max_parallel_builds = 2

[github]
webhook_secret = "env:PREVU_GITHUB_SECRET"

[gitlab]
webhook_token = "env:PREVU_GITLAB_TOKEN"

[[repos]]                        # optional allow-list; absent = any signed delivery
provider = "github"
name = "acme/shop"
clone_url = "https://mirror.example.com/acme/shop.git"   # optional override
)toml";

TEST(HostConfigTest, EmptyFileGivesDefaultsAndLeavesUnsetDefaultSecretsEmpty) {
  ScopedEnv admin("PREVU_ADMIN_TOKEN", std::nullopt);
  ScopedEnv github("PREVU_GITHUB_SECRET", std::nullopt);
  ScopedEnv gitlab("PREVU_GITLAB_TOKEN", std::nullopt);

  absl::StatusOr<HostConfig> config = ParseHostConfig("", "prevu.toml");

  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->api.listen, "127.0.0.1:9080");
  EXPECT_FALSE(config->api.admin_token.has_value());
  EXPECT_FALSE(config->github.webhook_secret.has_value());
  EXPECT_FALSE(config->gitlab.webhook_token.has_value());
  EXPECT_EQ(config->proxy.listen, "0.0.0.0:8080");
  EXPECT_EQ(config->proxy.domain, "localhost");
  EXPECT_EQ(config->proxy.host_template, "pr-{number}-{repo}");
  EXPECT_EQ(config->proxy.threads, 0);
  EXPECT_TRUE(config->proxy.noindex);
  EXPECT_EQ(config->state.dir, "./prevu-data");
  EXPECT_EQ(config->docker.socket, "/var/run/docker.sock");
  EXPECT_EQ(config->reconcile.interval, absl::Seconds(10));
  EXPECT_EQ(config->reconcile.max_parallel_builds, 2);
  EXPECT_EQ(config->resources.default_memory_bytes, 512 << 20);
  EXPECT_FALSE(config->tls.enabled);
  EXPECT_EQ(config->tls.listen, "0.0.0.0:8443");
  EXPECT_EQ(config->auth.mode, AuthMode::kNone);
  EXPECT_EQ(config->auth.cookie_ttl, absl::Hours(24));
  EXPECT_TRUE(config->repos.empty());
}

TEST(HostConfigTest, DefaultsResolveTheDefaultSecretsThatAreSet) {
  ScopedEnv admin("PREVU_ADMIN_TOKEN", "admin-value");
  ScopedEnv github("PREVU_GITHUB_SECRET", "github-value");
  ScopedEnv gitlab("PREVU_GITLAB_TOKEN", std::nullopt);

  HostConfig config = DefaultHostConfig();

  ASSERT_TRUE(config.api.admin_token.has_value());
  EXPECT_EQ(config.api.admin_token->reveal(), "admin-value");
  ASSERT_TRUE(config.github.webhook_secret.has_value());
  EXPECT_EQ(config.github.webhook_secret->reveal(), "github-value");
  EXPECT_FALSE(config.gitlab.webhook_token.has_value());
  EXPECT_EQ(config.proxy.listen, "0.0.0.0:8080");
}

TEST(HostConfigTest, DesignSampleParses) {
  ScopedEnv admin("PREVU_ADMIN_TOKEN", "a");
  ScopedEnv github("PREVU_GITHUB_SECRET", "g");
  ScopedEnv gitlab("PREVU_GITLAB_TOKEN", "l");

  absl::StatusOr<HostConfig> config = ParseHostConfig(kDesignSample, "prevu.toml");

  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_THAT(config->repos, SizeIs(1));
  EXPECT_EQ(config->repos[0].provider, Provider::kGitHub);
  EXPECT_EQ(config->repos[0].name, "acme/shop");
  EXPECT_EQ(config->repos[0].clone_url, "https://mirror.example.com/acme/shop.git");
  EXPECT_EQ(config->gitlab.webhook_token->reveal(), "l");
}

TEST(HostConfigTest, DesignSampleNamesItsSecretsExplicitlySoUnsetOnesAreErrors) {
  ScopedEnv admin("PREVU_ADMIN_TOKEN", std::nullopt);
  ScopedEnv github("PREVU_GITHUB_SECRET", "g");
  ScopedEnv gitlab("PREVU_GITLAB_TOKEN", "l");

  EXPECT_THAT(HostProblems(kDesignSample),
              ElementsAre("prevu.toml:3:15: `admin_token`: environment variable "
                          "`PREVU_ADMIN_TOKEN` is not set; export it or write the secret as "
                          "`file:PATH`"));
}

TEST(HostConfigTest, CompleteFixtureLoadsWithEveryKey) {
  ScopedEnv admin("PREVU_FIXTURE_ADMIN_TOKEN", "fixture-admin");
  ScopedEnv github("PREVU_FIXTURE_GITHUB_SECRET", "fixture-github");
  ScopedEnv gitlab("PREVU_FIXTURE_GITLAB_TOKEN", "fixture-gitlab");

  absl::StatusOr<HostConfig> config = LoadHostConfig(FixturePath("prevu.toml"));

  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->api.listen, "127.0.0.1:9180");
  EXPECT_EQ(config->api.admin_token->reveal(), "fixture-admin");
  EXPECT_EQ(config->proxy.host_template, "{provider}-{owner}-{repo}-{number}");
  EXPECT_EQ(config->proxy.threads, 4);
  EXPECT_FALSE(config->proxy.noindex);
  EXPECT_TRUE(config->tls.enabled);
  EXPECT_EQ(config->tls.listen, "[::]:8443");
  EXPECT_EQ(config->tls.acme_email, "ops@example.com");
  EXPECT_EQ(config->tls.acme_ca_file, "/etc/prevu/acme-ca.pem");
  EXPECT_EQ(config->auth.mode, AuthMode::kForward);
  EXPECT_EQ(config->auth.password->reveal(), "a literal password");
  EXPECT_THAT(config->auth.forward_response_headers,
              ElementsAre("X-Auth-Request-User", "X-Auth-Request-Email"));
  EXPECT_EQ(config->auth.cookie_ttl, absl::Hours(12));
  EXPECT_EQ(config->state.dir, "/var/lib/prevu");
  EXPECT_EQ(config->docker.socket, "/run/docker.sock");
  EXPECT_EQ(config->docker.instance, "staging");
  EXPECT_EQ(config->reconcile.interval, absl::Seconds(90));
  EXPECT_EQ(config->reconcile.max_parallel_builds, 4);
  EXPECT_EQ(config->resources.default_memory_bytes, 256 << 20);
  EXPECT_EQ(config->resources.max_memory_bytes, int64_t{4} << 30);
  EXPECT_EQ(config->resources.default_cpus, 0.25);
  EXPECT_EQ(config->resources.max_cpus, 4.0);
  EXPECT_EQ(config->resources.default_pids, 128);
  EXPECT_EQ(config->resources.max_pids, 2048);
  EXPECT_EQ(config->github.webhook_secret->reveal(), "fixture-github");
  EXPECT_EQ(config->gitlab.webhook_token->reveal(), "fixture-gitlab");
  ASSERT_THAT(config->repos, SizeIs(2));
  EXPECT_EQ(config->repos[1].provider, Provider::kGitLab);
  EXPECT_EQ(config->repos[1].git_token->reveal(), "a literal read token");
  EXPECT_EQ(config->repos[1].auth_mode, AuthMode::kPassword);
  EXPECT_FALSE(config->repos[0].auth_mode.has_value());
}

TEST(HostConfigTest, ExampleHostFileHasOnlyMissingSecretFilesAsProblems) {
  // examples/prevu.toml points at secret files of a real server; every other key must be valid.
  absl::StatusOr<HostConfig> config =
      LoadHostConfig(std::string(PREVU_SOURCE_DIR) + "/examples/prevu.toml");

  std::vector<std::string> problems = ProblemLines(config);
  EXPECT_THAT(problems, ::testing::Not(::testing::IsEmpty()));
  for (const std::string& problem : problems) {
    EXPECT_THAT(problem, HasSubstr("cannot read secret file `/etc/prevu/"));
  }
}

TEST(HostConfigTest, TlsTurnsOnWhenACertificateIsConfigured) {
  absl::StatusOr<HostConfig> config = ParseHostConfig(
      "[tls]\ncert_file = \"/etc/prevu/cert.pem\"\nkey_file = \"/etc/prevu/key.pem\"\n", "x");

  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->tls.enabled);
  EXPECT_EQ(config->tls.cert_file, "/etc/prevu/cert.pem");
}

TEST(HostConfigTest, AStaticCertificateAndAcmeGoTogether) {
  absl::StatusOr<HostConfig> config = ParseHostConfig(
      "[proxy]\ndomain = \"preview.example.com\"\n[tls]\ncert_file = \"/c.pem\"\n"
      "key_file = \"/k.pem\"\nacme_email = \"ops@example.com\"\n",
      "x");

  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->tls.enabled);
  EXPECT_EQ(config->tls.cert_file, "/c.pem");
  EXPECT_EQ(config->tls.acme_email, "ops@example.com");
}

TEST(HostConfigTest, TlsStaysOffWhenExplicitlyDisabled) {
  absl::StatusOr<HostConfig> config = ParseHostConfig(
      "[proxy]\ndomain = \"p.example.com\"\n[tls]\nenabled = false\nacme_email = \"a@b.example\"\n",
      "x");

  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->tls.enabled);
}

TEST(HostConfigTest, EmptySecretDisablesADefaultOne) {
  ScopedEnv admin("PREVU_ADMIN_TOKEN", "set");

  absl::StatusOr<HostConfig> config = ParseHostConfig("[api]\nadmin_token = \"\"\n", "x");

  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->api.admin_token.has_value());
}

TEST(HostConfigTest, FindRepoMatchesProviderAndNameIgnoringCase) {
  absl::StatusOr<HostConfig> config = ParseHostConfig(
      "[[repos]]\nprovider = \"github\"\nname = \"Acme/Shop\"\n"
      "[[repos]]\nprovider = \"gitlab\"\nname = \"group/sub/project\"\n",
      "x");
  ASSERT_TRUE(config.ok()) << config.status();

  ASSERT_NE(config->FindRepo(Provider::kGitHub, "acme/shop"), nullptr);
  EXPECT_EQ(config->FindRepo(Provider::kGitHub, "acme/shop")->name, "Acme/Shop");
  EXPECT_EQ(config->FindRepo(Provider::kGitLab, "acme/shop"), nullptr);
  EXPECT_NE(config->FindRepo(Provider::kGitLab, "group/sub/project"), nullptr);
  EXPECT_EQ(config->FindRepo(Provider::kGitHub, "acme/shop2"), nullptr);
}

TEST(HostConfigTest, SyntaxErrorIsReportedAtItsLineAndColumn) {
  std::vector<std::string> problems =
      HostProblems("[api]\nlisten = \"127.0.0.1:80\"\nthreads = \n");

  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], ::testing::StartsWith("prevu.toml:3:"));
  EXPECT_THAT(problems[0], HasSubstr("TOML syntax error"));
}

TEST(HostConfigTest, MissingFileIsNotFound) {
  absl::StatusOr<HostConfig> config = LoadHostConfig("/nonexistent/prevu.toml");

  EXPECT_TRUE(absl::IsNotFound(config.status()));
  EXPECT_THAT(config.status().message(), HasSubstr("/nonexistent/prevu.toml"));
}

TEST(HostConfigTest, EveryProblemIsReportedInOrderOfPosition) {
  constexpr absl::string_view kText = R"toml([proxy]
threads = "four"
domain = "bad_name"

[reconcile]
interval = "soon"

[api]
listn = "127.0.0.1:1"

[[repos]]
provider = "gitea"
name = "acme/shop"
)toml";

  EXPECT_THAT(
      HostProblems(kText),
      ElementsAre(
          "prevu.toml:2:11: `threads` must be an integer, not a string",
          "prevu.toml:3:10: `domain`: `bad_name` is not a valid DNS name: label `bad_name` has "
          "`_`; use only letters, digits and hyphens",
          "prevu.toml:6:12: `interval`: `soon` is not a duration: write whole numbers with units "
          "d, h, m, s or ms, such as `90s`, `10m`, `7d` or `1h30m`",
          "prevu.toml:9:1: `listn`: unknown key; did you mean `listen`?",
          "prevu.toml:12:12: `provider`: `gitea` is not a provider; use `github` or `gitlab`"));
}

class HostConfigErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(HostConfigErrorTest, ReportsExactlyThisProblem) {
  EXPECT_THAT(HostProblems(GetParam().text), ElementsAre(GetParam().problem));
}

const ErrorCase kHostErrors[] = {
    {"UnknownKeySuggestsClosest", "[proxy]\nlisen = \"0.0.0.0:80\"\n",
     "prevu.toml:2:1: `lisen`: unknown key; did you mean `listen`?"},
    {"UnknownKeyListsValidKeys", "[proxy]\nzzz = 1\n",
     "prevu.toml:2:1: `zzz`: unknown key; valid names here are `listen`, `domain`, "
     "`host_template`, `threads`, `noindex`"},
    {"UnknownTableSuggestsClosest", "[prxy]\nlisten = \"0.0.0.0:80\"\n",
     "prevu.toml:1:2: `[prxy]`: unknown table; did you mean `[proxy]`?"},
    {"UnknownArrayOfTables", "[[repoz]]\nprovider = \"github\"\n",
     "prevu.toml:1:3: `[[repoz]]`: unknown table; did you mean `[[repos]]`?"},
    {"KnownTableOfWrongType", "api = 5\n",
     "prevu.toml:1:7: `api` must be a table, written `[api]`, not an integer"},
    {"ReposNotArrayOfTables", "repos = \"acme/shop\"\n",
     "prevu.toml:1:9: `repos` must be an array of tables, written `[[repos]]`, not a string"},
    {"WrongTypeInteger", "[proxy]\nthreads = \"4\"\n",
     "prevu.toml:2:11: `threads` must be an integer, not a string"},
    {"WrongTypeBoolean", "[proxy]\nnoindex = \"yes\"\n",
     "prevu.toml:2:11: `noindex` must be a boolean (`true` or `false`), not a string"},
    {"ThreadsRange", "[proxy]\nthreads = 300\n",
     "prevu.toml:2:11: `threads` must be from 0 to 256, not 300"},
    {"MaxParallelBuildsRange", "[reconcile]\nmax_parallel_builds = 0\n",
     "prevu.toml:2:23: `max_parallel_builds` must be from 1 to 64, not 0"},
    {"DurationAsInteger", "[reconcile]\ninterval = 10\n",
     "prevu.toml:2:12: `interval` must be a duration in quotes, such as `\"1s\"`, not an integer"},
    {"DurationUnknownUnit", "[reconcile]\ninterval = \"10min\"\n",
     "prevu.toml:2:12: `interval`: `10min` is not a duration: unknown unit `min`; write whole "
     "numbers with units d, h, m, s or ms, such as `90s`, `10m`, `7d` or `1h30m`"},
    {"DurationRange", "[reconcile]\ninterval = \"0s\"\n",
     "prevu.toml:2:12: `interval` must be from 1s to 1d, not 0s"},
    {"ListenWithoutPort", "[api]\nlisten = \"localhost\"\n",
     "prevu.toml:2:10: `listen`: `localhost` is not a listen address such as `127.0.0.1:9080` or "
     "`[::1]:9080`: the port is missing"},
    {"ListenBadIpv4", "[proxy]\nlisten = \"1.2.3.999:80\"\n",
     "prevu.toml:2:10: `listen`: `1.2.3.999:80` is not a listen address such as `127.0.0.1:9080` "
     "or `[::1]:9080`: `1.2.3.999` is not an IPv4 address"},
    {"ListenUnbracketedIpv6", "[proxy]\nlisten = \"::1:80\"\n",
     "prevu.toml:2:10: `listen`: `::1:80` is not a listen address such as `127.0.0.1:9080` or "
     "`[::1]:9080`: write IPv6 addresses in brackets, such as `[::1]:9080`"},
    {"ListenPortTooLarge", "[proxy]\nlisten = \"0.0.0.0:65536\"\n",
     "prevu.toml:2:10: `listen`: `0.0.0.0:65536` is not a listen address such as `127.0.0.1:9080` "
     "or `[::1]:9080`: the port must be a number from 0 to 65535"},
    {"ListenersCollide",
     "[api]\nlisten = \"127.0.0.1:8080\"\n[proxy]\nlisten = \"127.0.0.1:8080\"\n",
     "prevu.toml:4:10: `[proxy] listen` uses the same address as `[api] listen`"},
    {"InstanceUpperCase", "[docker]\ninstance = \"Staging\"\n",
     "prevu.toml:2:12: `instance`: `Staging` is not an instance name: it has `S`; use only "
     "lower-case letters, digits and hyphens"},
    {"InstanceTooLong", "[docker]\ninstance = \"a-very-long-instance-name-for-a-host\"\n",
     "prevu.toml:2:12: `instance`: `a-very-long-instance-name-for-a-host` is not an instance "
     "name: it must have 1 to 32 characters"},
    {"InstanceEndsWithHyphen", "[docker]\ninstance = \"staging-\"\n",
     "prevu.toml:2:12: `instance`: `staging-` is not an instance name: it starts or ends with a "
     "hyphen"},
    {"DomainBadCharacter", "[proxy]\ndomain = \"my_previews.example.com\"\n",
     "prevu.toml:2:10: `domain`: `my_previews.example.com` is not a valid DNS name: label "
     "`my_previews` has `_`; use only letters, digits and hyphens"},
    {"ValueWithLineBreakStaysOnOneLine", "[proxy]\ndomain = \"a\\nb\"\n",
     "prevu.toml:2:10: `domain`: `a\\nb` is not a valid DNS name: label `a\\nb` has `\\n`; use "
     "only letters, digits and hyphens"},
    {"DomainLeadingHyphen", "[proxy]\ndomain = \"-p.example.com\"\n",
     "prevu.toml:2:10: `domain`: `-p.example.com` is not a valid DNS name: label `-p` starts or "
     "ends with a hyphen"},
    {"TemplateUnknownPlaceholder", "[proxy]\nhost_template = \"pr-{nmber}\"\n",
     "prevu.toml:2:17: `host_template`: `pr-{nmber}` is not a host template: unknown placeholder "
     "`{nmber}`; did you mean `{number}`?"},
    {"TemplateWithoutNumber", "[proxy]\nhost_template = \"{owner}-{repo}\"\n",
     "prevu.toml:2:17: `host_template`: `{owner}-{repo}` is not a host template: it must contain "
     "`{number}` so that every request gets its own name, as in `pr-{number}-{repo}`"},
    {"TemplateWithDot", "[proxy]\nhost_template = \"pr.{number}\"\n",
     "prevu.toml:2:17: `host_template`: `pr.{number}` is not a host template: it must not contain "
     "dots: each preview is one label below `domain`, so a wildcard certificate covers it"},
    {"TemplateUnclosedBrace", "[proxy]\nhost_template = \"pr-{number\"\n",
     "prevu.toml:2:17: `host_template`: `pr-{number` is not a host template: a `{` has no "
     "matching `}`"},
    {"SecretEnvUnset", "[api]\nadmin_token = \"env:PREVU_TEST_SURELY_UNSET\"\n",
     "prevu.toml:2:15: `admin_token`: environment variable `PREVU_TEST_SURELY_UNSET` is not set; "
     "export it or write the secret as `file:PATH`"},
    {"SecretFileMissing", "[github]\nwebhook_secret = \"file:/nonexistent/prevu-secret\"\n",
     "prevu.toml:2:18: `webhook_secret`: cannot read secret file `/nonexistent/prevu-secret`: No "
     "such file or directory"},
    {"SecretWrongType", "[gitlab]\nwebhook_token = 42\n",
     "prevu.toml:2:17: `webhook_token` must be a string: `env:NAME`, `file:PATH` or the secret "
     "itself, not an integer"},
    {"StateDirEmpty", "[state]\ndir = \"\"\n",
     "prevu.toml:2:7: `dir`: the value is empty; remove the key to use the default"},
    {"MemoryUnknownUnit", "[resources]\nmax_memory = \"2XB\"\n",
     "prevu.toml:2:14: `max_memory`: `2XB` is not a size: unknown unit `XB`; use B, KiB, MiB, GiB, "
     "TiB, KB, MB, GB, TB, or k, m, g, t as Docker does"},
    {"MemoryTooSmall", "[resources]\ndefault_memory = \"1MiB\"\n",
     "prevu.toml:2:18: `default_memory` must be from 6MiB to 1024TiB, not 1MiB"},
    {"MemoryDefaultAboveMax", "[resources]\ndefault_memory = \"1GiB\"\nmax_memory = \"512MiB\"\n",
     "prevu.toml:2:18: `default_memory` (1GiB) is above `max_memory` (512MiB); lower the default "
     "or raise the maximum"},
    {"CpusRange", "[resources]\nmax_cpus = 100\n",
     "prevu.toml:2:12: `max_cpus`: `100` is not a CPU share between 0.01 and 64"},
    {"CpusWrongType", "[resources]\ndefault_cpus = \"0.5\"\n",
     "prevu.toml:2:16: `default_cpus` must be a number of CPUs such as `0.5`, not a string"},
    {"CpusDefaultAboveMax", "[resources]\ndefault_cpus = 3.0\n",
     "prevu.toml:2:16: `default_cpus` (3) is above `max_cpus` (2); lower the default or raise the "
     "maximum"},
    {"PidsRange", "[resources]\nmax_pids = 0\n",
     "prevu.toml:2:12: `max_pids` must be from 1 to 4194304, not 0"},
    {"RepoWithoutProvider", "[[repos]]\nname = \"acme/shop\"\n",
     "prevu.toml:1:1: a `[[repos]]` entry needs `provider`: `github` or `gitlab`"},
    {"RepoWithoutName", "[[repos]]\nprovider = \"github\"\n",
     "prevu.toml:1:1: a `[[repos]]` entry needs `name`, such as `acme/shop`"},
    {"RepoUnknownProvider", "[[repos]]\nprovider = \"bitbucket\"\nname = \"acme/shop\"\n",
     "prevu.toml:2:12: `provider`: `bitbucket` is not a provider; use `github` or `gitlab`"},
    {"RepoNameWithoutOwner", "[[repos]]\nprovider = \"github\"\nname = \"shop\"\n",
     "prevu.toml:3:8: `name`: `shop` is not a repository path: write `owner/name`, or "
     "`group/sub/project` on GitLab"},
    {"RepoNameEmpty", "[[repos]]\nprovider = \"github\"\nname = \"\"\n",
     "prevu.toml:3:8: `name`: `` is not a repository path: write `owner/name`, or "
     "`group/sub/project` on GitLab"},
    {"RepoCloneUrlScheme",
     "[[repos]]\nprovider = \"github\"\nname = \"a/b\"\nclone_url = \"ftp://h/a/b\"\n",
     "prevu.toml:4:13: `clone_url`: `ftp://h/a/b` is not a clone URL: scheme `ftp` is not one of "
     "https, http, ssh, git, file"},
    {"RepoCloneUrlBarePath",
     "[[repos]]\nprovider = \"github\"\nname = \"a/b\"\nclone_url = \"/srv/a/b\"\n",
     "prevu.toml:4:13: `clone_url`: `/srv/a/b` is not a clone URL: use "
     "`https://host/owner/name.git`, "
     "`git@host:owner/name.git`, or `file:///path/to/repo` for a local repository"},
    {"RepoListedTwice",
     "[[repos]]\nprovider = \"github\"\nname = \"acme/shop\"\n"
     "[[repos]]\nprovider = \"github\"\nname = \"ACME/shop\"\n",
     "prevu.toml:6:8: `ACME/shop` is listed twice for github"},
    {"RepoGitTokenUnset",
     "[[repos]]\nprovider = \"gitlab\"\nname = \"a/b\"\ngit_token = "
     "\"env:PREVU_TEST_SURELY_UNSET\"\n",
     "prevu.toml:4:13: `git_token`: environment variable `PREVU_TEST_SURELY_UNSET` is not set; "
     "export it or write the secret as `file:PATH`"},
    {"RepoUnknownAuthMode",
     "[[repos]]\nprovider = \"github\"\nname = \"a/b\"\nauth_mode = \"sso\"\n",
     "prevu.toml:4:13: `auth_mode`: `sso` is not an auth mode; use `none`, `password`, `forward` "
     "or `bypass_token`"},
    {"RepoAuthModeWithoutPassword",
     "[[repos]]\nprovider = \"github\"\nname = \"a/b\"\nauth_mode = \"password\"\n",
     "prevu.toml:4:13: auth mode `password` needs `password` in `[auth]`"},
    {"RepoUnknownKey", "[[repos]]\nprovider = \"github\"\nname = \"a/b\"\nclone_ur = \"x\"\n",
     "prevu.toml:4:1: `clone_ur`: unknown key; did you mean `clone_url`?"},
    {"TlsEnabledWithoutCertificate", "[tls]\nenabled = true\n",
     "prevu.toml:2:11: TLS is enabled but has no certificate: set `cert_file` and `key_file`, or "
     "`acme_email` to get one from ACME"},
    {"TlsCertWithoutKey", "[tls]\ncert_file = \"/etc/prevu/cert.pem\"\n",
     "prevu.toml:2:13: `cert_file` needs `key_file`, the private key of the certificate"},
    {"TlsAcmeForLocalhost", "[tls]\nacme_email = \"ops@example.com\"\n",
     "prevu.toml:2:14: ACME cannot issue certificates for `localhost`; set `[proxy] domain` to a "
     "public name, or use `cert_file` and `key_file`"},
    {"TlsBadEmail", "[tls]\nacme_email = \"ops\"\n",
     "prevu.toml:2:14: `acme_email`: `ops` is not an e-mail address: write it as "
     "`ops@example.com`"},
    {"TlsBadDirectoryUrl", "[tls]\nacme_directory = \"acme.example.com/dir\"\n",
     "prevu.toml:2:18: `acme_directory`: `acme.example.com/dir` is not an http or https URL: it "
     "must start with `https://` or `http://`"},
    {"AuthUnknownMode", "[auth]\nmode = \"oauth\"\n",
     "prevu.toml:2:8: `mode`: `oauth` is not an auth mode; use `none`, `password`, `forward` or "
     "`bypass_token`"},
    {"AuthForwardWithoutUrl", "[auth]\nmode = \"forward\"\n",
     "prevu.toml:2:8: auth mode `forward` needs `forward_url` in `[auth]`"},
    {"AuthPasswordEmpty", "[auth]\nmode = \"password\"\npassword = \"\"\n",
     "prevu.toml:2:8: auth mode `password` needs `password` in `[auth]`"},
    {"AuthBadHeaderName", "[auth]\nforward_response_headers = [\"X-User\", \"X Bad\"]\n",
     "prevu.toml:2:39: `forward_response_headers`: `X Bad` is not an HTTP header name: use "
     "letters, digits and hyphens, as in `X-Forwarded-User`"},
    {"AuthHeadersNotArray", "[auth]\nforward_response_headers = \"X-User\"\n",
     "prevu.toml:2:28: `forward_response_headers` must be an array of strings, not a string"},
    {"AuthCookieTtlRange", "[auth]\ncookie_ttl = \"30s\"\n",
     "prevu.toml:2:14: `cookie_ttl` must be from 1m to 365d, not 30s"},
};

INSTANTIATE_TEST_SUITE_P(AllErrors, HostConfigErrorTest, ::testing::ValuesIn(kHostErrors),
                         ErrorCaseName);

}  // namespace
}  // namespace prevu::controller

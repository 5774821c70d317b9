// Tests of the repository configuration, `.prevu.toml`.
#include <string>
#include <vector>

#include "controller/config/repo_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/config_test_util.h"

namespace prevu::controller {
namespace {

using ::testing::ElementsAre;
using testing::ErrorCase;
using testing::ErrorCaseName;
using testing::FixturePath;
using ::testing::Pair;
using testing::ProblemLines;

std::vector<std::string> RepoProblems(absl::string_view text) {
  return ProblemLines(ParseRepoConfig(text, ".prevu.toml"));
}

// The sample of DESIGN.md, word for word.
constexpr absl::string_view kDesignSample = R"toml(version = 1

[build]
dockerfile = "Dockerfile"
context = "."
target = ""
args = { NODE_ENV = "production" }

[run]
port = 8080                      # the port the app listens on inside the container
command = []                     # overrides the image's command when not empty
env = { LOG_LEVEL = "debug" }
health_path = "/"                # ready when this answers 2xx or 3xx

[resources]
memory = "512MiB"
cpus = 0.5
pids = 256

[preview]
ttl = "7d"                       # removed when the request has been idle this long
)toml";

TEST(RepoConfigTest, EmptyFileGivesDefaults) {
  absl::StatusOr<RepoConfig> config = ParseRepoConfig("", ".prevu.toml");

  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->version, 1);
  EXPECT_EQ(config->build.dockerfile, "Dockerfile");
  EXPECT_EQ(config->build.context, ".");
  EXPECT_EQ(config->run.port, 8080);
  EXPECT_EQ(config->run.health_path, "/");
  EXPECT_FALSE(config->resources.memory_bytes.has_value());
  EXPECT_FALSE(config->resources.cpus.has_value());
  EXPECT_FALSE(config->resources.pids.has_value());
  EXPECT_EQ(config->preview.ttl, absl::Hours(24 * 7));
}

TEST(RepoConfigTest, DesignSampleParses) {
  absl::StatusOr<RepoConfig> config = ParseRepoConfig(kDesignSample, ".prevu.toml");

  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->build.args, ElementsAre(Pair("NODE_ENV", "production")));
  EXPECT_TRUE(config->run.command.empty());
  EXPECT_THAT(config->run.env, ElementsAre(Pair("LOG_LEVEL", "debug")));
  EXPECT_EQ(config->resources.memory_bytes, int64_t{512} << 20);
  EXPECT_EQ(config->resources.cpus, 0.5);
  EXPECT_EQ(config->resources.pids, 256);
  EXPECT_EQ(config->preview.ttl, absl::Hours(24 * 7));
}

TEST(RepoConfigTest, CompleteFixtureLoadsWithEveryKey) {
  absl::StatusOr<RepoConfig> config = LoadRepoConfig(FixturePath(".prevu.toml"));

  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->build.dockerfile, "docker/Dockerfile.preview");
  EXPECT_EQ(config->build.target, "runtime");
  EXPECT_THAT(config->build.args,
              ElementsAre(Pair("API_BASE", "/api"), Pair("NODE_ENV", "production")));
  EXPECT_EQ(config->run.port, 3000);
  EXPECT_THAT(config->run.command, ElementsAre("node", "server.js", "--port", "3000"));
  EXPECT_THAT(config->run.env,
              ElementsAre(Pair("FEATURE_FLAGS", "beta,preview"), Pair("LOG_LEVEL", "debug")));
  EXPECT_EQ(config->run.health_path, "/healthz");
  EXPECT_EQ(config->resources.memory_bytes, int64_t{3} << 29);
  EXPECT_EQ(config->resources.cpus, 1.5);
  EXPECT_EQ(config->resources.pids, 512);
  EXPECT_EQ(config->preview.ttl, absl::Hours(84));
}

TEST(RepoConfigTest, ExampleRepositoriesParse) {
  for (const char* name : {"hello", "greeter"}) {
    std::string path = std::string(PREVU_SOURCE_DIR) + "/examples/" + name + "/.prevu.toml";
    absl::StatusOr<RepoConfig> config = LoadRepoConfig(path);

    EXPECT_TRUE(config.ok()) << config.status();
  }
}

TEST(RepoConfigTest, MissingFileIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(LoadRepoConfig("/nonexistent/.prevu.toml").status()));
}

TEST(RepoConfigTest, SyntaxErrorIsReportedAtItsLine) {
  std::vector<std::string> problems = RepoProblems("version = 1\n[run]\nport = = 3\n");

  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], ::testing::StartsWith(".prevu.toml:3:"));
  EXPECT_THAT(problems[0], ::testing::HasSubstr("TOML syntax error"));
}

TEST(RepoConfigTest, EveryProblemIsReportedInOrderOfPosition) {
  constexpr absl::string_view kText = R"toml(version = 1

[run]
prot = 3000
env = { "LOG-LEVEL" = "debug" }

[resources]
memory = "lots"
cpus = 0

[preview]
ttl = "1y"
)toml";

  EXPECT_THAT(
      RepoProblems(kText),
      ElementsAre(
          ".prevu.toml:4:1: `prot`: unknown key; did you mean `port`?",
          ".prevu.toml:5:9: `env.LOG-LEVEL`: `LOG-LEVEL` is not a valid variable name: use "
          "letters, digits and `_`, not starting with a digit, as in `LOG_LEVEL`",
          ".prevu.toml:8:10: `memory`: `lots` is not a size: write a number of bytes or a number "
          "with a unit, such as `512MiB`",
          ".prevu.toml:9:8: `cpus`: `0` is not a CPU share between 0.01 and 64",
          ".prevu.toml:12:7: `ttl`: `1y` is not a duration: unknown unit `y`; write whole numbers "
          "with units d, h, m, s or ms, such as `90s`, `10m`, `7d` or `1h30m`"));
}

class RepoConfigErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(RepoConfigErrorTest, ReportsExactlyThisProblem) {
  EXPECT_THAT(RepoProblems(GetParam().text), ElementsAre(GetParam().problem));
}

const ErrorCase kRepoErrors[] = {
    {"VersionTwo", "version = 2\n",
     ".prevu.toml:1:11: `version` must be 1, the only version this Prevu reads, not 2"},
    {"VersionString", "version = \"1\"\n",
     ".prevu.toml:1:11: `version` must be an integer, not a string"},
    {"UnknownTopLevelTable", "[resorces]\nmemory = \"1GiB\"\n",
     ".prevu.toml:1:2: `[resorces]`: unknown table; did you mean `[resources]`?"},
    {"ContextEscapes", "[build]\ncontext = \"app/../..\"\n",
     ".prevu.toml:2:11: `context`: `app/../..` is not a path inside the repository: its `..` "
     "climbs above the repository root"},
    {"ContextAbsolute", "[build]\ncontext = \"/srv/app\"\n",
     ".prevu.toml:2:11: `context`: `/srv/app` is not a path inside the repository: it is "
     "absolute; write it relative to the repository root"},
    {"DockerfileEscapes", "[build]\ndockerfile = \"../Dockerfile\"\n",
     ".prevu.toml:2:14: `dockerfile`: `../Dockerfile` is not a path inside the repository: its "
     "`..` climbs above the repository root"},
    {"ArgsValueNotString", "[build]\nargs = { RETRIES = 3 }\n",
     ".prevu.toml:2:20: `args.RETRIES` must be a string, not an integer"},
    {"ArgsNotTable", "[build]\nargs = [\"A=1\"]\n",
     ".prevu.toml:2:8: `args` must be a table of strings, such as `{ NAME = \"value\" }`, not an "
     "array"},
    {"PortZero", "[run]\nport = 0\n",
     ".prevu.toml:2:8: `port`: `0` is not a port between 1 and 65535"},
    {"PortTooLarge", "[run]\nport = 70000\n",
     ".prevu.toml:2:8: `port`: `70000` is not a port between 1 and 65535"},
    {"PortString", "[run]\nport = \"8080\"\n",
     ".prevu.toml:2:8: `port` must be a port number from 1 to 65535, not a string"},
    {"CommandString", "[run]\ncommand = \"npm start\"\n",
     ".prevu.toml:2:11: `command` must be an array of strings, not a string"},
    {"CommandItemNotString", "[run]\ncommand = [\"sleep\", 5]\n",
     ".prevu.toml:2:21: `command[1]` must be a string, not an integer"},
    {"EnvNameStartsWithDigit", "[run]\nenv = { 1ST = \"x\" }\n",
     ".prevu.toml:2:9: `env.1ST`: `1ST` is not a valid variable name: use letters, digits and "
     "`_`, not starting with a digit, as in `LOG_LEVEL`"},
    {"HealthPathRelative", "[run]\nhealth_path = \"healthz\"\n",
     ".prevu.toml:2:15: `health_path`: `healthz` is not a URL path: it must start with `/`, as in "
     "`/healthz`"},
    {"MemoryTooSmall", "[resources]\nmemory = 1024\n",
     ".prevu.toml:2:10: `memory` must be from 6MiB to 1024TiB, not 1KiB"},
    {"MemoryBadFraction", "[resources]\nmemory = \"1.GiB\"\n",
     ".prevu.toml:2:10: `memory`: `1.GiB` is not a size: write a number of bytes or a number with "
     "a unit, such as `512MiB`"},
    {"CpusTooSmall", "[resources]\ncpus = 0.001\n",
     ".prevu.toml:2:8: `cpus`: `0.001` is not a CPU share between 0.01 and 64"},
    {"PidsZero", "[resources]\npids = 0\n",
     ".prevu.toml:2:8: `pids` must be from 1 to 4194304, not 0"},
    {"TtlTooShort", "[preview]\nttl = \"30s\"\n",
     ".prevu.toml:2:7: `ttl` must be from 1m to 365d, not 30s"},
    {"TtlTooLong", "[preview]\nttl = \"400d\"\n",
     ".prevu.toml:2:7: `ttl` must be from 1m to 365d, not 400d"},
    {"TtlFraction", "[preview]\nttl = \"1.5h\"\n",
     ".prevu.toml:2:7: `ttl`: `1.5h` is not a duration: write whole numbers with units d, h, m, s "
     "or ms, such as `90s`, `10m`, `7d` or `1h30m`"},
    {"TtlUnitsOutOfOrder", "[preview]\nttl = \"30m1h\"\n",
     ".prevu.toml:2:7: `ttl`: `30m1h` is not a duration: write each unit once, from largest to "
     "smallest, as in `1h30m`"},
};

INSTANTIATE_TEST_SUITE_P(AllErrors, RepoConfigErrorTest, ::testing::ValuesIn(kRepoErrors),
                         ErrorCaseName);

}  // namespace
}  // namespace prevu::controller

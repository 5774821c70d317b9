// Robustness of the configuration parsers on damaged input: `.prevu.toml` comes from the
// repositories Prevu builds, so any byte sequence must give either a configuration or problems
// in the FILE:LINE:COL form, and never a crash (the sanitizer build runs this too).
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "controller/config/host_config.h"
#include "controller/config/repo_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/config_test_util.h"

namespace prevu::controller {
namespace {

using testing::FixturePath;
using ::testing::MatchesRegex;

constexpr int kMutationsPerFile = 3000;

// Characters that matter to TOML and to the value parsers, so mutations reach deep code.
constexpr absl::string_view kAlphabet = "[]{}=\"'.,:#\\\n 0123456789-_xeEmMgGiBsdh+@/{}";

std::string ReadFixture(absl::string_view name) {
  std::ifstream in(FixturePath(name), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Replaces, inserts or deletes a few bytes, or cuts the text short.
std::string Mutate(std::string text, std::mt19937* random) {
  int edits = 1 + static_cast<int>((*random)() % 4);
  for (int i = 0; i < edits && !text.empty(); ++i) {
    size_t at = (*random)() % text.size();
    char c = kAlphabet[(*random)() % kAlphabet.size()];
    switch ((*random)() % 4) {
      case 0:
        text[at] = c;
        break;
      case 1:
        text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
        break;
      case 2:
        text.erase(at, 1 + (*random)() % 8);
        break;
      default:
        text.resize(at);
        break;
    }
  }
  return text;
}

template <typename Config>
void ExpectConfigOrLocatedProblems(const absl::StatusOr<Config>& parsed, absl::string_view input) {
  if (parsed.ok()) {
    return;
  }
  ASSERT_TRUE(absl::IsInvalidArgument(parsed.status())) << input;
  for (absl::string_view line : absl::StrSplit(parsed.status().message(), '\n')) {
    EXPECT_THAT(std::string(line), MatchesRegex("^f:[1-9][0-9]*:[1-9][0-9]*: .+")) << input;
  }
}

TEST(ConfigMutationTest, DamagedRepositoryFilesGiveLocatedProblems) {
  std::string original = ReadFixture(".prevu.toml");
  ASSERT_FALSE(original.empty());
  std::mt19937 random(20261203);

  for (int i = 0; i < kMutationsPerFile; ++i) {
    std::string text = Mutate(original, &random);
    ExpectConfigOrLocatedProblems(ParseRepoConfig(text, "f"), text);
  }
}

TEST(ConfigMutationTest, DamagedHostFilesGiveLocatedProblems) {
  std::string original = ReadFixture("prevu.toml");
  ASSERT_FALSE(original.empty());
  std::mt19937 random(20261204);

  for (int i = 0; i < kMutationsPerFile; ++i) {
    std::string text = Mutate(original, &random);
    ExpectConfigOrLocatedProblems(ParseHostConfig(text, "f"), text);
  }
}

}  // namespace
}  // namespace prevu::controller

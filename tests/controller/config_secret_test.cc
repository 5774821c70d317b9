// Tests of Secret: resolution of env:, file: and literal secrets, and that it never prints.
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "controller/config/host_config.h"
#include "controller/config/secret.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/config_test_util.h"

namespace prevu::controller {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ScopedEnv;
using testing::TempDir;
using testing::WriteFile;

constexpr absl::string_view kValue = "s3cr3t-value-that-must-not-leak";

TEST(SecretTest, LiteralIsTheValueItself) {
  absl::StatusOr<Secret> secret = Secret::Resolve("plain-token");

  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(secret->reveal(), "plain-token");
}

TEST(SecretTest, EmptySpecIsAnError) {
  absl::StatusOr<Secret> secret = Secret::Resolve("");

  EXPECT_TRUE(absl::IsInvalidArgument(secret.status()));
  EXPECT_THAT(secret.status().message(), HasSubstr("`env:NAME`, `file:PATH`"));
}

TEST(SecretTest, EnvReadsTheVariable) {
  ScopedEnv env("PREVU_TEST_SECRET", std::string(kValue));

  absl::StatusOr<Secret> secret = Secret::Resolve("env:PREVU_TEST_SECRET");

  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(secret->reveal(), kValue);
}

TEST(SecretTest, EnvUnsetIsNotFoundAndNamesTheVariable) {
  ScopedEnv env("PREVU_TEST_SECRET", std::nullopt);

  absl::StatusOr<Secret> secret = Secret::Resolve("env:PREVU_TEST_SECRET");

  EXPECT_TRUE(absl::IsNotFound(secret.status()));
  EXPECT_THAT(secret.status().message(),
              HasSubstr("environment variable `PREVU_TEST_SECRET` is not set"));
}

TEST(SecretTest, EnvEmptyIsNotFound) {
  ScopedEnv env("PREVU_TEST_SECRET", "");

  absl::StatusOr<Secret> secret = Secret::Resolve("env:PREVU_TEST_SECRET");

  EXPECT_TRUE(absl::IsNotFound(secret.status()));
  EXPECT_THAT(secret.status().message(), HasSubstr("is empty"));
}

TEST(SecretTest, EnvWithInvalidNameIsInvalidArgument) {
  EXPECT_TRUE(absl::IsInvalidArgument(Secret::Resolve("env:").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Secret::Resolve("env:NOT-A-NAME").status()));
}

TEST(SecretTest, FileReadsContentsWithoutTrailingNewline) {
  TempDir dir;
  std::string unix_file = WriteFile(dir, "unix", absl::StrCat(kValue, "\n"));
  std::string dos_file = WriteFile(dir, "dos", absl::StrCat(kValue, "\r\n"));
  std::string inner_file = WriteFile(dir, "inner", "line one\nline two\n\n");

  EXPECT_EQ(Secret::Resolve("file:" + unix_file)->reveal(), kValue);
  EXPECT_EQ(Secret::Resolve("file:" + dos_file)->reveal(), kValue);
  EXPECT_EQ(Secret::Resolve("file:" + inner_file)->reveal(), "line one\nline two\n");
}

TEST(SecretTest, MissingFileIsNotFoundAndNamesThePath) {
  TempDir dir;
  std::string path = dir.path() + "/absent";

  absl::StatusOr<Secret> secret = Secret::Resolve("file:" + path);

  EXPECT_TRUE(absl::IsNotFound(secret.status()));
  EXPECT_THAT(secret.status().message(), HasSubstr(path));
  EXPECT_THAT(secret.status().message(), HasSubstr("No such file or directory"));
}

TEST(SecretTest, EmptyDirectoryOrHugeFileIsAnError) {
  TempDir dir;
  std::string empty = WriteFile(dir, "empty", "\n");
  std::string huge = WriteFile(dir, "huge", std::string(70 * 1024, 'x'));

  EXPECT_THAT(Secret::Resolve("file:" + empty).status().message(), HasSubstr("is empty"));
  EXPECT_FALSE(Secret::Resolve("file:" + dir.path()).ok());
  EXPECT_THAT(Secret::Resolve("file:" + huge).status().message(), HasSubstr("larger than 64 KiB"));
  EXPECT_TRUE(absl::IsInvalidArgument(Secret::Resolve("file:").status()));
}

// Debian's Abseil predates AbslStringify, so StrCat (and with it log::Line::With) must refuse a
// Secret at compile time rather than print it.
template <typename T>
concept StrCatPrintable = requires(const T& value) {
  absl::StrCat(value);
};
static_assert(!StrCatPrintable<Secret>);
static_assert(StrCatPrintable<std::string>);

TEST(SecretTest, NeverPrintsItsValue) {
  Secret secret{std::string(kValue)};
  std::ostringstream stream;
  stream << secret << " " << std::optional<Secret>(secret).value();

  EXPECT_EQ(stream.str(), "<redacted> <redacted>");
}

TEST(SecretTest, ConfigurationErrorsNeverQuoteSecretValues) {
  TempDir dir;
  std::string path = WriteFile(dir, "token", std::string(kValue));
  ScopedEnv env("PREVU_TEST_SECRET", std::string(kValue));

  // The file and variable resolve, so the only problems are elsewhere; none may quote the value.
  std::string text = absl::StrCat("[api]\nadmin_token = \"file:", path,
                                  "\"\nlisten = 1\n[github]\nwebhook_secret = "
                                  "\"env:PREVU_TEST_SECRET\"\nextra = 1\n[auth]\npassword = [\"",
                                  kValue, "\"]\n");
  absl::StatusOr<HostConfig> config = ParseHostConfig(text, "prevu.toml");

  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), Not(HasSubstr(kValue)));
  EXPECT_THAT(config.status().message(), HasSubstr("`password` must be a string"));
}

}  // namespace
}  // namespace prevu::controller

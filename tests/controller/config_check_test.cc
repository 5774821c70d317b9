// Tests of `prevu check`: its output and exit status.
#include <sstream>
#include <string>

#include "controller/config/check.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/config_test_util.h"

namespace prevu::controller {
namespace {

using testing::FixturePath;
using ::testing::HasSubstr;
using testing::TempDir;
using testing::WriteFile;

struct CheckResult {
  int status;
  std::string out;
  std::string err;
};

CheckResult Check(absl::string_view path) {
  std::ostringstream out;
  std::ostringstream err;
  int status = RunCheck(path, out, err);
  return CheckResult{status, out.str(), err.str()};
}

TEST(RunCheckTest, ValidRepositoryFilePrintsOk) {
  CheckResult result = Check(FixturePath(".prevu.toml"));

  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.out, "ok\n");
  EXPECT_EQ(result.err, "");
}

TEST(RunCheckTest, InvalidFilePrintsEveryProblemAndFails) {
  TempDir dir;
  std::string path = WriteFile(dir, ".prevu.toml", "version = 1\n[run]\nprot = 1\nport = 0\n");

  CheckResult result = Check(path);

  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.out, path + ":3:1: `prot`: unknown key; did you mean `port`?\n" + path +
                            ":4:8: `port`: `0` is not a port between 1 and 65535\n");
  EXPECT_EQ(result.err, "");
}

TEST(RunCheckTest, SyntaxErrorFails) {
  TempDir dir;
  std::string path = WriteFile(dir, ".prevu.toml", "version = 1\n[run\n");

  CheckResult result = Check(path);

  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.out, ::testing::StartsWith(path + ":2:"));
  EXPECT_THAT(result.out, HasSubstr("TOML syntax error"));
}

TEST(RunCheckTest, MissingFileIsOneLineOnErr) {
  TempDir dir;
  std::string path = dir.path() + "/.prevu.toml";

  CheckResult result = Check(path);

  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "prevu check: cannot read `" + path +
                            "`: No such file or directory; run it in the repository root or "
                            "name the file: prevu check FILE\n");
}

TEST(RunCheckTest, DirectoryIsOneLineOnErr) {
  TempDir dir;

  CheckResult result = Check(dir.path());

  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.err, "prevu check: `" + dir.path() + "` is not a regular file\n");
}

TEST(RunCheckTest, FileNamedPrevuTomlIsCheckedAsHostConfiguration) {
  TempDir dir;
  std::string host = WriteFile(dir, "prevu.toml", "[proxy]\nthreads = 2\n");
  std::string host_as_repo = WriteFile(dir, "other.toml", "[proxy]\nthreads = 2\n");

  EXPECT_EQ(Check(host).out, "ok\n");
  EXPECT_THAT(Check(host_as_repo).out, HasSubstr("`[proxy]`: unknown table"));
}

TEST(RunCheckTest, DefaultPathIsTheRepositoryFileInTheWorkingDirectory) {
  EXPECT_EQ(kDefaultCheckPath, "./.prevu.toml");
}

}  // namespace
}  // namespace prevu::controller

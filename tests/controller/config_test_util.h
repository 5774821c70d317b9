// Helpers shared by the configuration tests: temporary files, environment variables set for one
// test, and the problem lines of a failed parse.
#pragma once

#include <stdlib.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "tests/controller/store/temp_dir.h"

namespace prevu::controller::testing {

// Temporary directories come from the store tests' helper.
using store::TempDir;

// Writes `contents` to `name` inside `dir` and returns the file's path.
inline std::string WriteFile(const TempDir& dir, const std::string& name,
                             absl::string_view contents) {
  std::string path = dir.File(name);
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

// Sets (or, with nullopt, unsets) an environment variable until the end of the scope.
class ScopedEnv {
 public:
  ScopedEnv(const std::string& name, std::optional<std::string> value) : name_(name) {
    if (const char* old = getenv(name.c_str())) {
      old_ = old;
    }
    value ? setenv(name.c_str(), value->c_str(), 1) : unsetenv(name.c_str());
  }
  ~ScopedEnv() { old_ ? setenv(name_.c_str(), old_->c_str(), 1) : unsetenv(name_.c_str()); }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// The problem lines of a parse that must fail; empty (and a test failure) if it succeeded.
template <typename T>
std::vector<std::string> ProblemLines(const absl::StatusOr<T>& parsed) {
  EXPECT_FALSE(parsed.ok()) << "the configuration was accepted";
  if (parsed.ok()) {
    return {};
  }
  return absl::StrSplit(parsed.status().message(), '\n');
}

// One invalid file and the one problem it must produce, exactly.
struct ErrorCase {
  const char* name;
  const char* text;
  const char* problem;
};

// Shows a case by its name in failure messages.
inline void PrintTo(const ErrorCase& error_case, std::ostream* os) { *os << error_case.name; }

// Names parameterized tests after their case.
inline std::string ErrorCaseName(const ::testing::TestParamInfo<ErrorCase>& info) {
  return info.param.name;
}

// The path of a file under tests/fixtures/config/.
inline std::string FixturePath(absl::string_view name) {
  return std::string(PREVU_SOURCE_DIR) + "/tests/fixtures/config/" + std::string(name);
}

}  // namespace prevu::controller::testing

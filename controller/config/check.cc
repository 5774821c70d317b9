// The `prevu check` command.
#include "controller/config/check.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "controller/config/config_reader.h"
#include "controller/config/host_config.h"
#include "controller/config/repo_config.h"

namespace prevu::controller {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitInvalid = 1;

bool IsHostConfigPath(absl::string_view path) {
  return path == "prevu.toml" || absl::EndsWith(path, "/prevu.toml");
}

absl::Status Check(const std::string& path, const std::string& text) {
  if (IsHostConfigPath(path)) {
    return ParseHostConfig(text, path).status();
  }
  return ParseRepoConfig(text, path).status();
}

}  // namespace

int RunCheck(absl::string_view path, std::ostream& out, std::ostream& err) {
  std::string file(path.empty() ? kDefaultCheckPath : path);
  absl::StatusOr<std::string> text = ReadConfigFile(file);
  if (absl::IsNotFound(text.status())) {
    err << "prevu check: " << text.status().message()
        << "; run it in the repository root or name the file: prevu check FILE\n";
    return kExitInvalid;
  }
  if (!text.ok()) {
    err << "prevu check: " << text.status().message() << "\n";
    return kExitInvalid;
  }

  absl::Status checked = Check(file, *text);
  if (!checked.ok()) {
    out << checked.message() << "\n";
    return kExitInvalid;
  }
  out << "ok\n";
  return kExitOk;
}

}  // namespace prevu::controller

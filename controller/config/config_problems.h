// The problems found in one configuration file, each at a line and column, so that a user sees
// all of them at once instead of fixing one per run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace prevu::controller {

class ConfigProblems {
 public:
  // `path` names the file in every message; it is not opened.
  explicit ConfigProblems(absl::string_view path) : path_(path) {}

  // Records `message`, a sentence, at a 1-based line and column.
  void Add(uint32_t line, uint32_t column, absl::string_view message);

  bool empty() const { return problems_.empty(); }
  const std::string& path() const { return path_; }

  // OK when there is no problem; otherwise InvalidArgument whose message holds one
  // "FILE:LINE:COL: sentence" per line, ordered by position.
  absl::Status ToStatus() const;

 private:
  struct Problem {
    uint32_t line;
    uint32_t column;
    std::string message;
  };

  std::string path_;
  std::vector<Problem> problems_;
};

}  // namespace prevu::controller

// Collection and rendering of configuration problems.
#include "controller/config/config_problems.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace prevu::controller {

void ConfigProblems::Add(uint32_t line, uint32_t column, absl::string_view message) {
  problems_.push_back(Problem{line, column, std::string(message)});
}

absl::Status ConfigProblems::ToStatus() const {
  if (problems_.empty()) {
    return absl::OkStatus();
  }

  // Problems are found table by table; users read them top to bottom.
  std::vector<Problem> sorted = problems_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Problem& a, const Problem& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });

  std::string text;
  for (const Problem& problem : sorted) {
    absl::StrAppend(&text, text.empty() ? "" : "\n", path_, ":", problem.line, ":", problem.column,
                    ": ", problem.message);
  }
  return absl::InvalidArgumentError(text);
}

}  // namespace prevu::controller

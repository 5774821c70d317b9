// Collection and rendering of configuration problems.
#include "controller/config/config_problems.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace prevu::controller {
namespace {

// Messages quote values from the file, which may hold line breaks and other control characters;
// escaping them keeps one problem per line.
std::string EscapeControlCharacters(absl::string_view message) {
  std::string escaped;
  for (char c : message) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      escaped += "\\n";
    } else if (c == '\t') {
      escaped += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      absl::StrAppend(&escaped, "\\x", absl::Hex(byte, absl::kZeroPad2));
    } else {
      escaped += c;
    }
  }
  return escaped;
}

}  // namespace

void ConfigProblems::Add(uint32_t line, uint32_t column, absl::string_view message) {
  problems_.push_back(Problem{line, column, EscapeControlCharacters(message)});
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

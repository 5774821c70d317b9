// Optimal-string-alignment distance: Levenshtein plus the swap of two neighbours, which is the
// most common typo in key names (`prot` for `port`).
#include "controller/config/closest_name.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace prevu::controller {

int EditDistance(absl::string_view a, absl::string_view b) {
  std::string x = absl::AsciiStrToLower(a);
  std::string y = absl::AsciiStrToLower(b);
  size_t columns = y.size() + 1;
  std::vector<int> d((x.size() + 1) * columns);
  auto at = [&](size_t i, size_t j) -> int& { return d[i * columns + j]; };
  for (size_t i = 0; i <= x.size(); ++i) {
    at(i, 0) = static_cast<int>(i);
  }
  for (size_t j = 0; j <= y.size(); ++j) {
    at(0, j) = static_cast<int>(j);
  }

  for (size_t i = 1; i <= x.size(); ++i) {
    for (size_t j = 1; j <= y.size(); ++j) {
      int substitution = x[i - 1] == y[j - 1] ? 0 : 1;
      at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + substitution});
      if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1]) {
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(x.size(), y.size());
}

std::optional<std::string> ClosestName(absl::string_view name,
                                       const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  int best_distance = 0;
  for (const std::string& candidate : candidates) {
    int distance = EditDistance(name, candidate);
    if (best == nullptr || distance < best_distance) {
      best = &candidate;
      best_distance = distance;
    }
  }

  if (best == nullptr) {
    return std::nullopt;
  }
  int tolerated = std::max<int>(1, static_cast<int>(std::max(name.size(), best->size())) / 3);
  if (best_distance > tolerated) {
    return std::nullopt;
  }
  return *best;
}

}  // namespace prevu::controller

// See docker_ignore.h.
#include "reconciler/build/docker_ignore.h"

#include <fnmatch.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace prevu::reconciler::build {
namespace {

// Splits a cleaned path into segments, dropping empty and "." ones and resolving ".." the way
// Go's filepath.Clean (which Docker applies to patterns) does.
std::vector<std::string> CleanSegments(absl::string_view path) {
  std::vector<std::string> segments;
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    if (segment.empty() || segment == ".") {
      continue;
    }
    if (segment == ".." && !segments.empty() && segments.back() != "..") {
      segments.pop_back();
      continue;
    }
    segments.emplace_back(segment);
  }
  return segments;
}

bool SegmentMatches(const std::string& pattern, absl::string_view segment) {
  std::string name(segment);
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

// Whether `pattern` matches `path` in full, or matches one of its parent directories (which
// excludes everything below it). Walks the pattern once, keeping the set of path positions each
// prefix of it can reach, so that a pattern full of `**` (a repository's file, so untrusted)
// costs segments times path length, never an exponential search.
bool MatchesPath(const std::vector<std::string>& pattern,
                 const std::vector<absl::string_view>& path) {
  std::vector<bool> reach(path.size() + 1, false);
  reach[0] = true;
  for (const std::string& segment : pattern) {
    std::vector<bool> next(path.size() + 1, false);
    bool any = false;
    for (size_t s = 0; s <= path.size(); ++s) {
      if (!reach[s]) {
        continue;
      }
      if (segment == "**") {
        std::fill(next.begin() + s, next.end(), true);
        any = true;
        break;  // every later position is reached already
      }
      if (s < path.size() && SegmentMatches(segment, path[s])) {
        next[s + 1] = true;
        any = true;
      }
    }
    if (!any) {
      return false;
    }
    reach = std::move(next);
  }
  return true;  // some position reached: the whole path or a directory above the rest
}

}  // namespace

DockerIgnore DockerIgnore::Parse(absl::string_view text) {
  DockerIgnore ignore;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') {
      continue;
    }

    Pattern pattern;
    if (absl::ConsumePrefix(&line, "!")) {
      pattern.exception = true;
      line = absl::StripLeadingAsciiWhitespace(line);
    }
    pattern.segments = CleanSegments(line);
    if (pattern.segments.empty()) {
      continue;  // "/" or "." alone: Docker ignores it too
    }
    ignore.has_exceptions_ |= pattern.exception;
    ignore.patterns_.push_back(std::move(pattern));
  }
  return ignore;
}

bool DockerIgnore::Matches(const Pattern& pattern, const std::vector<absl::string_view>& path) {
  return MatchesPath(pattern.segments, path);
}

bool DockerIgnore::Excluded(absl::string_view path) const {
  std::vector<absl::string_view> segments = absl::StrSplit(path, '/', absl::SkipEmpty());
  bool excluded = false;
  for (const Pattern& pattern : patterns_) {
    if (Matches(pattern, segments)) {
      excluded = !pattern.exception;
    }
  }
  return excluded;
}

}  // namespace prevu::reconciler::build

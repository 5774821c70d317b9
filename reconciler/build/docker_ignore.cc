// See docker_ignore.h.
#include "reconciler/build/docker_ignore.h"

#include <fnmatch.h>

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
// excludes everything below it).
bool MatchFrom(const std::vector<std::string>& pattern, size_t p,
               const std::vector<absl::string_view>& path, size_t s) {
  if (p == pattern.size()) {
    return true;  // the whole path, or a directory above what remains of it
  }
  if (pattern[p] == "**") {
    for (size_t skip = s; skip <= path.size(); ++skip) {
      if (MatchFrom(pattern, p + 1, path, skip)) {
        return true;
      }
    }
    return false;
  }
  if (s == path.size() || !SegmentMatches(pattern[p], path[s])) {
    return false;
  }
  return MatchFrom(pattern, p + 1, path, s + 1);
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
  return MatchFrom(pattern.segments, 0, path, 0);
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

// The rules of a build context's `.dockerignore`: which paths are left out of the context sent to
// Docker. Follows Docker's semantics: patterns match paths relative to the context root; `*` and
// `?` stay within one path segment, `**` spans any number of segments, `[...]` is a character
// class and `\` escapes; a leading `/` and a trailing `/` are dropped; a pattern that matches a
// directory excludes everything below it; `!` re-includes; the last matching pattern wins; lines
// starting with `#` are comments.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace prevu::reconciler::build {

class DockerIgnore {
 public:
  DockerIgnore() = default;

  // Never fails: a pattern Docker would reject only ever fails to match.
  static DockerIgnore Parse(absl::string_view text);

  // `path` is relative to the context root, `/`-separated, without a leading "./".
  bool Excluded(absl::string_view path) const;

  // Whether a `!` pattern exists: an excluded directory must then still be walked, since some of
  // its contents may be included again.
  bool has_exceptions() const { return has_exceptions_; }

 private:
  struct Pattern {
    std::vector<std::string> segments;
    bool exception = false;
  };

  static bool Matches(const Pattern& pattern, const std::vector<absl::string_view>& path);

  std::vector<Pattern> patterns_;
  bool has_exceptions_ = false;
};

}  // namespace prevu::reconciler::build

// .dockerignore matching, as a table of patterns, paths and the expected verdict.
#include "reconciler/build/docker_ignore.h"

#include <string>

#include "absl/strings/str_cat.h"

#include "gtest/gtest.h"

namespace prevu::reconciler::build {
namespace {

struct Case {
  const char* rules;
  const char* path;
  bool excluded;
};

class DockerIgnoreTest : public testing::TestWithParam<Case> {};

TEST_P(DockerIgnoreTest, Matches) {
  const Case& c = GetParam();
  DockerIgnore ignore = DockerIgnore::Parse(c.rules);
  EXPECT_EQ(ignore.Excluded(c.path), c.excluded) << "rules:\n" << c.rules << "\npath: " << c.path;
}

INSTANTIATE_TEST_SUITE_P(
    Table, DockerIgnoreTest,
    testing::Values(
        // No rules, comments and blank lines.
        Case{"", "main.go", false}, Case{"# main.go\n\n", "main.go", false},
        // A plain name matches at the root only, and everything below a matched directory.
        Case{"node_modules", "node_modules", true},
        Case{"node_modules", "node_modules/a/b.js", true},
        Case{"node_modules", "web/node_modules", false},
        // `*` stays within a segment.
        Case{"*.log", "debug.log", true}, Case{"*.log", "logs/debug.log", false},
        Case{"*/*.log", "logs/debug.log", true}, Case{"*", "anything/below", true},
        // `**` spans any number of segments, including none.
        Case{"**/*.log", "debug.log", true}, Case{"**/*.log", "a/b/c/debug.log", true},
        Case{"a/**/z", "a/z", true}, Case{"a/**/z", "a/b/c/z", true},
        Case{"a/**/z", "a/b/c/y", false}, Case{"a/**", "a/b/c", true}, Case{"a/**", "b/a/c", false},
        // `?` is one character, never a separator.
        Case{"file?.txt", "file1.txt", true}, Case{"file?.txt", "file10.txt", false},
        Case{"a?b", "a/b", false},
        // Character classes and escapes.
        Case{"[abc].txt", "b.txt", true}, Case{"[abc].txt", "d.txt", false},
        Case{"[!abc].txt", "d.txt", true}, Case{"\\*.txt", "*.txt", true},
        Case{"\\*.txt", "a.txt", false},
        // A leading or trailing slash changes nothing; `./` and `..` are cleaned away.
        Case{"/build", "build/out.o", true}, Case{"build/", "build", true},
        Case{"build/", "build/out.o", true}, Case{"./tmp", "tmp/x", true},
        Case{"a/../secret", "secret", true},
        // Exceptions: the last matching rule wins.
        Case{"*.md\n!README.md", "README.md", false}, Case{"*.md\n!README.md", "CHANGES.md", true},
        Case{"!README.md\n*.md", "README.md", true}, Case{"docs\n!docs/keep", "docs/keep", false},
        Case{"docs\n!docs/keep", "docs/drop", true},
        Case{"docs\n!docs/keep", "docs/keep/inner.txt", false},
        // Whitespace around a rule is ignored.
        Case{"  secret.env  \n", "secret.env", true},
        // `.git` as people write it.
        Case{".git", ".git/HEAD", true}, Case{".git", ".github/workflows/ci.yml", false}));

// A repository's .dockerignore is untrusted: many `**` against a deep path must stay cheap
// (an exponential search would not finish for these).
TEST(DockerIgnoreCost, ManyDoubleStarsAgainstADeepPath) {
  std::string pattern;
  std::string path;
  for (int i = 0; i < 40; ++i) {
    absl::StrAppend(&pattern, "**/a/");
    absl::StrAppend(&path, "a/");
  }
  absl::StrAppend(&pattern, "b");
  absl::StrAppend(&path, "c");
  EXPECT_FALSE(DockerIgnore::Parse(pattern).Excluded(path));
}

TEST(DockerIgnoreExceptions, ReportsWhetherAnyRuleIsAnException) {
  EXPECT_FALSE(DockerIgnore::Parse("a\nb/").has_exceptions());
  EXPECT_TRUE(DockerIgnore::Parse("a\n!a/b").has_exceptions());
}

}  // namespace
}  // namespace prevu::reconciler::build

// Dotted-path reads of payload fields and their error messages.
#include "api/payload_reader.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace prevu::api {
namespace {

PayloadReader Read(absl::string_view body) {
  absl::StatusOr<PayloadReader> reader = PayloadReader::Parse(body);
  EXPECT_TRUE(reader.ok()) << reader.status();
  return *std::move(reader);
}

TEST(PayloadReaderTest, RefusesBodiesThatAreNotJsonObjects) {
  EXPECT_EQ(PayloadReader::Parse("{").status().message(),
            "the body is not valid JSON (byte 1: expected a member name in quotes)");
  EXPECT_EQ(PayloadReader::Parse("[1, 2]").status().message(), "the body must be a JSON object");
  EXPECT_EQ(PayloadReader::Parse("").status().message(),
            "the body is not valid JSON (byte 0: expected a value)");
}

TEST(PayloadReaderTest, ReadsNestedStrings) {
  PayloadReader reader = Read(R"({"a": {"b": {"c": "value"}}})");
  EXPECT_EQ(*reader.String("a.b.c"), "value");
  EXPECT_EQ(reader.String("a.b.d").status().message(), "missing field `a.b.d`");
  EXPECT_EQ(reader.String("a.b").status().message(), "field `a.b` must be a string");
  EXPECT_EQ(reader.String("a.b.c.d").status().message(), "missing field `a.b.c.d`");
}

TEST(PayloadReaderTest, NullIsMissingAndOptionalStringsMayBeAbsent) {
  PayloadReader reader = Read(R"({"title": null, "n": 3})");
  EXPECT_EQ(reader.String("title").status().message(), "missing field `title`");
  EXPECT_EQ(*reader.OptionalString("title"), "");
  EXPECT_EQ(*reader.OptionalString("nothing"), "");
  EXPECT_FALSE(reader.OptionalString("n").ok());
}

TEST(PayloadReaderTest, NumbersArePositiveIntegers) {
  PayloadReader reader = Read(R"({"a": 12, "b": -1, "c": 1.5, "d": "12"})");
  EXPECT_EQ(*reader.PositiveInt("a"), 12);
  for (const char* path : {"b", "c", "d"}) {
    EXPECT_EQ(reader.PositiveInt(path).status().message(),
              absl::StrCat("field `", path, "` must be a positive integer"));
  }
}

TEST(PayloadReaderTest, RepositoryPaths) {
  PayloadReader reader = Read(
      R"({"ok": "group/sub.group/my_project-2", "one": "shop", "dots": "acme/..",
          "space": "acme/my shop", "empty": "acme//shop", "slash": "/acme/shop"})");
  EXPECT_EQ(*reader.RepoPath("ok"), "group/sub.group/my_project-2");
  for (const char* path : {"one", "dots", "space", "empty", "slash"}) {
    EXPECT_FALSE(reader.RepoPath(path).ok()) << path;
  }
}

TEST(PayloadReaderTest, CommitIdsAreFullHex) {
  PayloadReader reader = Read(
      R"({"sha1": "EC26C3E57CA3A959CA5AAD62DE7213C562F8C821",
          "sha256": "ec26c3e57ca3a959ca5aad62de7213c562f8c821ec26c3e57ca3a959ca5aad62",
          "short": "ec26c3e", "branch": "refs/heads/main-and-forty-characters-long"})");
  EXPECT_EQ(*reader.CommitSha("sha1"), "ec26c3e57ca3a959ca5aad62de7213c562f8c821");
  EXPECT_TRUE(reader.CommitSha("sha256").ok());
  EXPECT_FALSE(reader.CommitSha("short").ok());
  EXPECT_FALSE(reader.CommitSha("branch").ok());
}

TEST(PayloadReaderTest, CloneUrlsMayNotLookLikeOptions) {
  PayloadReader reader =
      Read(R"({"ok": "file:///srv/git/shop.git", "option": "--upload-pack=x", "empty": ""})");
  EXPECT_EQ(*reader.CloneUrl("ok"), "file:///srv/git/shop.git");
  EXPECT_FALSE(reader.CloneUrl("option").ok());
  EXPECT_FALSE(reader.CloneUrl("empty").ok());
}

TEST(PayloadReaderTest, KeepsOnlyWantedPathsAndNothingInsideArrays) {
  absl::StatusOr<PayloadReader> reader = PayloadReader::Parse(
      R"({"a": [1, {"b": "in array"}, [2, [3]]], "c": {"d": "y", "e": "z"}, "f": "after"})",
      {"a", "b", "c.d", "f"});
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(*reader->String("c.d"), "y");
  EXPECT_EQ(*reader->String("f"), "after");
  EXPECT_EQ(reader->String("a").status().message(), "field `a` must be a string");
  EXPECT_FALSE(reader->Has("b"));
  EXPECT_FALSE(reader->Has("c.e"));
}

TEST(PayloadReaderTest, TakeCollectsEveryProblem) {
  PayloadReader reader = Read(R"({"a": "x"})");
  std::string a, b, c;
  reader.Take(reader.String("a"), &a);
  reader.Take(reader.String("b"), &b);
  reader.Take(reader.String("c"), &c);
  EXPECT_EQ(a, "x");
  EXPECT_EQ(reader.Problems().message(), "missing field `b`; missing field `c`");
}

}  // namespace
}  // namespace prevu::api

// The selective JSON reader, checked against nlohmann_json's strict parser: the same documents
// are valid, and the kept values are the same.
#include "api/json_scanner.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/api/fixtures.h"
#include "tests/api/json_flatten.h"

namespace prevu::api {
namespace {

using Fields = absl::flat_hash_map<std::string, nlohmann::json>;
using testing::Flatten;

absl::Status ScanAll(absl::string_view text, Fields* fields) {
  return JsonScanner({}).Scan(text, fields);
}

TEST(JsonScannerTest, AcceptsAndRefusesExactlyWhatAStrictParserDoes) {
  const char* documents[] = {
      R"({})", R"({"a": 1})", R"( {"a" : [1, 2.5e3, -0, true, false, null, "x"]} )",
      R"({"a": {"b": {"c": []}}})", R"({"s": "\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"})",
      R"({"é": "日本"})", R"({"n": -12.5E-3})", R"({"big": 18446744073709551616})",
      // and what is not JSON:
      R"({)", R"({"a"})", R"({"a": })", R"({"a": 1,})", R"({"a": [1,]})", R"({a: 1})",
      R"({'a': 1})", R"({"a": 01})", R"({"a": 1.})", R"({"a": .5})", R"({"a": 1e})", R"({"a": +1})",
      R"({"a": tru})", R"({"a": nul})", R"({"a": "\x"})", R"({"a": "\u12"})", R"({"a": "\ud83d"})",
      R"({"a": "\ude00"})", R"({"a": 1} x)", R"({"a": 1}})", "{\"a\": \"tab\there\"}",
      "{\"a\": \"\xff\"}", "{\"a\": \"\xc3\"}", "{\"a\": \"\xed\xa0\x80\"}",
      "{\"a\": \"\xf4\x90\x80\x80\"}", "{\"a\": \"\xc0\xaf\"}", R"({"a": -})", R"()", R"(   )",
      R"({"a": 1} // comment)", R"({"a": 1e999})", R"({"a": -18446744073709551616e300})",
      R"({"a": [1 2]})", R"({"a": {"b" 1}})"};
  for (const char* document : documents) {
    Fields fields;
    EXPECT_EQ(ScanAll(document, &fields).ok(), nlohmann::json::accept(document)) << document;
  }
}

TEST(JsonScannerTest, KeepsTheSameValuesAsNlohmannJsonForEveryFixture) {
  for (const char* file :
       {"github/ping.payload.json", "github/ping.with-organization.payload.json",
        "github/pull_request.closed.payload.json", "github/pull_request.opened.payload.json",
        "github/pull_request.opened.with-organization.payload.json",
        "github/pull_request.reopened.payload.json", "github/pull_request.synchronize.payload.json",
        "gitlab/group_merge_request.go-gitlab.json", "gitlab/merge_request.go-gitlab.json",
        "gitlab/merge_request.open.gitlab-docs.json"}) {
    std::string text = testing::Fixture(file);
    Fields scanned;
    ASSERT_TRUE(ScanAll(text, &scanned).ok()) << file;
    Fields expected;
    Flatten(nlohmann::json::parse(text), "", &expected);
    EXPECT_EQ(scanned.size(), expected.size()) << file;
    for (const auto& [path, value] : expected) {
      auto it = scanned.find(path);
      ASSERT_NE(it, scanned.end()) << file << ": " << path;
      EXPECT_EQ(it->second, value) << file << ": " << path;
    }
  }
}

TEST(JsonScannerTest, KeepsOnlyTheWantedPaths) {
  Fields fields;
  ASSERT_TRUE(
      JsonScanner({"a.b", "c"})
          .Scan(R"({"a": {"b": "x", "z": 1}, "c": [{"a": {"b": "in array"}}], "d": 2})", &fields)
          .ok());
  EXPECT_EQ(fields, Fields({{"a.b", "x"}, {"c", nlohmann::json::array()}}));
}

TEST(JsonScannerTest, DecodesEscapesAndSurrogatePairs) {
  Fields fields;
  ASSERT_TRUE(ScanAll(R"({"s": "caf\u00e9 \ud83d\ude00 \"q\" a\/b"})", &fields).ok());
  EXPECT_EQ(fields["s"], "café 😀 \"q\" a/b");
}

TEST(JsonScannerTest, SaysWhereTheDocumentIsBroken) {
  Fields fields;
  EXPECT_EQ(ScanAll(R"({"a": tru})", &fields).message(),
            "the body is not valid JSON (byte 6: expected a value)");
  EXPECT_EQ(ScanAll(R"({"a": 1,})", &fields).message(),
            "the body is not valid JSON (byte 8: expected a member name in quotes)");
  EXPECT_EQ(ScanAll(R"({"a": [1e999]})", &fields).message(),
            "the body is not valid JSON (byte 7: number out of range)");
  EXPECT_EQ(ScanAll("[1]", &fields).message(), "the body must be a JSON object");
}

TEST(JsonScannerTest, BoundsTheNestingDepth) {
  auto nested = [](int depth) {
    return absl::StrCat("{\"a\": ", std::string(depth, '['), std::string(depth, ']'), "}");
  };
  Fields fields;
  EXPECT_TRUE(ScanAll(nested(JsonScanner::kMaxDepth - 1), &fields).ok());
  EXPECT_EQ(ScanAll(nested(100'000), &fields).message(),
            absl::StrCat("the body is not valid JSON (byte ", 6 + JsonScanner::kMaxDepth,
                         ": nested too deeply)"));
}

}  // namespace
}  // namespace prevu::api

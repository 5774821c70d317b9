#include "controller/store/spec_record.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace prevu::controller::store {
namespace {

using ::testing::HasSubstr;

SpecRecord Sample() {
  PreviewSpec spec;
  spec.clone_url = "https://gitlab.example.com/g/sub/p.git";
  spec.head_sha = "0123456789abcdef0123456789abcdef01234567";
  spec.head_ref = "feature/ünïcode";
  spec.base_ref = "main";
  spec.title = "Quote \" and backslash \\";
  spec.author = "bob";
  spec.open = false;
  spec.generation = 42;
  spec.created_at = absl::FromUnixNanos(1'700'000'000'123'456'789);
  spec.updated_at = absl::FromUnixNanos(1'700'000'100'000'000'001);
  return SpecRecord{PreviewKey{Provider::kGitLab, "g/sub/p", 7}, spec};
}

TEST(SpecRecordTest, RoundTripsEveryField) {
  SpecRecord record = Sample();

  absl::StatusOr<std::string> payload = EncodeSpecRecord(record);
  ASSERT_TRUE(payload.ok()) << payload.status();
  absl::StatusOr<SpecRecord> decoded = DecodeSpecRecord(*payload);

  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->key, record.key);
  ASSERT_TRUE(decoded->spec.has_value());
  const PreviewSpec& a = *record.spec;
  const PreviewSpec& b = *decoded->spec;
  EXPECT_EQ(std::tie(a.clone_url, a.head_sha, a.head_ref, a.base_ref, a.title, a.author),
            std::tie(b.clone_url, b.head_sha, b.head_ref, b.base_ref, b.title, b.author));
  EXPECT_EQ(std::tie(a.open, a.generation, a.created_at, a.updated_at),
            std::tie(b.open, b.generation, b.created_at, b.updated_at));
}

TEST(SpecRecordTest, RoundTripsATombstone) {
  SpecRecord record{PreviewKey{Provider::kGitHub, "acme/shop", 12}, std::nullopt};

  absl::StatusOr<SpecRecord> decoded = DecodeSpecRecord(*EncodeSpecRecord(record));

  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->key, record.key);
  EXPECT_FALSE(decoded->spec.has_value());
}

TEST(SpecRecordTest, RefusesInvalidUtf8WithAReason) {
  SpecRecord record = Sample();
  record.spec->author = "\xFF\xFE";

  absl::StatusOr<std::string> payload = EncodeSpecRecord(record);

  EXPECT_EQ(payload.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(payload.status().message(), HasSubstr("UTF-8"));
}

class BadPayloadTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BadPayloadTest, IsRefusedWithoutThrowing) {
  absl::StatusOr<SpecRecord> decoded = DecodeSpecRecord(GetParam());

  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadPayloadTest,
    ::testing::Values(
        "", "not json", "[1,2]", "{\"provider\":\"github\"}",
        R"({"provider":"bitbucket","repo":"a/b","number":1,"forget":true})",
        R"({"provider":"github","repo":"","number":1,"forget":true})",
        R"({"provider":"github","repo":"a/b","number":-3,"forget":true})",
        R"({"provider":"github","repo":"a/b","number":"1","forget":true})",
        R"({"provider":"github","repo":"a/b","number":1})",
        R"({"provider":"github","repo":"a/b","number":1,"clone_url":"u","head_sha":"s",
            "head_ref":"r","base_ref":"m","title":"t","author":"a","open":"yes",
            "generation":1,"created_at":0,"updated_at":0})",
        R"({"provider":"github","repo":"a/b","number":1,"clone_url":"u","head_sha":"s",
            "head_ref":"r","base_ref":"m","title":"t","author":"a","open":true,
            "generation":0,"created_at":0,"updated_at":0})",
        R"({"provider":"github","repo":"a/b","number":1,"clone_url":7,"head_sha":"s",
            "head_ref":"r","base_ref":"m","title":"t","author":"a","open":true,
            "generation":1,"created_at":0,"updated_at":0})"));

}  // namespace
}  // namespace prevu::controller::store

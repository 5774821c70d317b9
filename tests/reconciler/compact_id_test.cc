// Tests of CompactId: every text comes back exactly, and two ids are equal only when their texts
// are, whichever form each text is kept in.
#include "reconciler/compact_id.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace prevu::reconciler {
namespace {

const std::string kContainer = "4f2b9c0e7d1a3b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";

std::vector<std::string> Texts() {
  return {
      "",
      "0",
      "00",
      "ab",
      "ab0",
      "abc",
      "0123456789abcdef",  // a spec hash
      kContainer,
      "sha256:" + kContainer,  // an image id
      "sha256:",
      "sha256:abc",
      "sha256:" + kContainer + "0",  // 65 digits: held as text
      kContainer + "0",
      "ABC",                // upper case is text, not hex
      std::string("\xab"),  // the byte "ab" spells, as text
      "c1",
      "img-0123456789abcdef",
      "new-0123456789abcdef",
      "github:acme/shop#12",
      "gitlab:group/subgroup/project#7",
      std::string(48, 'x'),
      std::string(49, 'x'),  // longer than the inline bytes
      std::string(49, 'y'),
      kContainer + kContainer.substr(0, 32),  // 96 digits: the most held as hex
      kContainer + kContainer.substr(0, 33),
      std::string("a\0b", 3),
  };
}

TEST(CompactIdTest, GivesBackEveryText) {
  for (const std::string& text : Texts()) {
    EXPECT_EQ(CompactId(text).str(), text);
  }
}

TEST(CompactIdTest, EqualOnlyWhenTheTextsAre) {
  std::vector<std::string> texts = Texts();
  for (const std::string& a : texts) {
    for (const std::string& b : texts) {
      EXPECT_EQ(CompactId(a) == CompactId(b), a == b) << "'" << a << "' and '" << b << "'";
      EXPECT_EQ(CompactId(a) != CompactId(b), a != b);
      if (a == b) {
        EXPECT_EQ(CompactId(a).Hash(), CompactId(b).Hash());
      }
    }
  }
}

TEST(CompactIdTest, CopiesAndClearsLikeAValue) {
  EXPECT_EQ(CompactId(absl::string_view()), CompactId(""));  // a view without a pointer
  for (const std::string& text : Texts()) {
    CompactId id(text);
    CompactId copy = id;
    EXPECT_EQ(copy, id);
    EXPECT_EQ(copy.str(), text);

    copy.clear();
    EXPECT_TRUE(copy.empty());
    EXPECT_EQ(copy, CompactId());
    EXPECT_EQ(copy, CompactId(""));
    EXPECT_EQ(copy.Hash(), CompactId("").Hash());  // a default id hashes as the empty text
    EXPECT_EQ(id.str(), text);                     // the original keeps its text
    EXPECT_EQ(id.empty(), text.empty());
  }
}

TEST(CompactIdTest, KeepsDockersPrefixApart) {
  EXPECT_EQ(sizeof(CompactId), 64u);  // one cache line
  EXPECT_EQ(alignof(CompactId), 64u);
  CompactId id("sha256:" + kContainer);
  CompactId other("sha256:" + kContainer);
  EXPECT_EQ(id, other);
  EXPECT_NE(id, CompactId(kContainer));
}

// The hash is kept with the id: ids of different texts seldom share it, and a table of them
// spreads out.
TEST(CompactIdTest, DifferentTextsSeldomShareAHash) {
  std::vector<size_t> hashes;
  for (int i = 0; i < 10000; ++i) {
    hashes.push_back(CompactId("github:acme/shop#" + std::to_string(i)).Hash());
  }
  std::sort(hashes.begin(), hashes.end());
  size_t shared = hashes.size() - (std::unique(hashes.begin(), hashes.end()) - hashes.begin());
  EXPECT_LE(shared, 2u);  // 32 bits: about 0.01 expected among 10,000
}

}  // namespace
}  // namespace prevu::reconciler

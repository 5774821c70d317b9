#include "controller/store/crc32c.h"

#include <string>

#include "gtest/gtest.h"

namespace prevu::controller::store {
namespace {

// Check values from RFC 3720, appendix B.4, and the common "123456789" check value.
TEST(Crc32cTest, MatchesPublishedCheckValues) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xFF')), 0x62A8AB43u);

  std::string ascending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
  }
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
}

TEST(Crc32cTest, ExtendingEqualsChecksummingTheWhole) {
  std::string text = "the quick brown fox jumps over the lazy dog, twice over";

  for (size_t split = 0; split <= text.size(); ++split) {
    uint32_t head = Crc32c(absl::string_view(text).substr(0, split));
    EXPECT_EQ(Crc32cExtend(head, absl::string_view(text).substr(split)), Crc32c(text))
        << "split at " << split;
  }
}

TEST(Crc32cTest, EmptyInputIsZero) { EXPECT_EQ(Crc32c(""), 0u); }

}  // namespace
}  // namespace prevu::controller::store

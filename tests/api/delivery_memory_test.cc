// The bounded memory of delivery ids.
#include "api/delivery_memory.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace prevu::api {
namespace {

TEST(DeliveryMemoryTest, RemembersIds) {
  DeliveryMemory memory(3);
  EXPECT_FALSE(memory.Contains("a"));
  memory.Remember("a");
  EXPECT_TRUE(memory.Contains("a"));
  EXPECT_FALSE(memory.Contains("b"));
}

TEST(DeliveryMemoryTest, ForgetsTheOldestFirst) {
  DeliveryMemory memory(3);
  for (const char* id : {"a", "b", "c", "d"}) {
    memory.Remember(id);
  }
  EXPECT_FALSE(memory.Contains("a"));
  EXPECT_TRUE(memory.Contains("b"));
  EXPECT_TRUE(memory.Contains("c"));
  EXPECT_TRUE(memory.Contains("d"));
  EXPECT_EQ(memory.size(), 3u);
}

TEST(DeliveryMemoryTest, RememberingTwiceKeepsOneEntry) {
  DeliveryMemory memory(2);
  memory.Remember("a");
  memory.Remember("a");
  memory.Remember("b");
  EXPECT_TRUE(memory.Contains("a"));
  EXPECT_EQ(memory.size(), 2u);
}

TEST(DeliveryMemoryTest, StaysBoundedAtTenThousand) {
  DeliveryMemory memory;
  for (int i = 0; i < 10'500; ++i) {
    memory.Remember(absl::StrCat("delivery-", i));
  }
  EXPECT_EQ(memory.size(), 10'000u);
  EXPECT_FALSE(memory.Contains("delivery-499"));
  EXPECT_TRUE(memory.Contains("delivery-500"));
  EXPECT_TRUE(memory.Contains("delivery-10499"));
}

}  // namespace
}  // namespace prevu::api

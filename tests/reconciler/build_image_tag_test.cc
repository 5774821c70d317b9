// Image tags: valid Docker references made from any repository path.
#include "reconciler/build/image_tag.h"

#include <cctype>
#include <string>

#include "gtest/gtest.h"

namespace prevu::reconciler::build {
namespace {

TEST(ImageTag, IsPrevuRepoNumberAndShortSha) {
  EXPECT_EQ(ImageTag("acme/shop", 12, "0123456789abcdef0123456789abcdef01234567"),
            "prevu/acme/shop:12-0123456789ab");
}

TEST(SanitizeImageName, LowerCasesAndReplacesInvalidRuns) {
  EXPECT_EQ(SanitizeImageName("Acme/My Shop"), "acme/my-shop");
  EXPECT_EQ(SanitizeImageName("group/sub/Project.Name"), "group/sub/project-name");
  EXPECT_EQ(SanitizeImageName("a__b--c..d"), "a-b-c-d");
}

TEST(SanitizeImageName, DropsSeparatorsAtTheEndsAndEmptyComponents) {
  EXPECT_EQ(SanitizeImageName("-acme-/_shop_"), "acme/shop");
  EXPECT_EQ(SanitizeImageName("//acme///shop//"), "acme/shop");
  EXPECT_EQ(SanitizeImageName("!!!/???"), "unnamed");
}

TEST(SanitizeImageName, BoundsTheLength) {
  std::string name = SanitizeImageName(std::string(300, 'a') + "/" + std::string(10, 'b'));
  EXPECT_LE(name.size(), 200u);
  EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(name.back())));
}

}  // namespace
}  // namespace prevu::reconciler::build

// Form fields, percent-encoding, HTML escaping and the local-target check of the login flow.
#include "proxy/auth/form_encoding.h"

#include <gtest/gtest.h>

#include <string>

namespace prevu::proxy {
namespace {

std::string Field(absl::string_view form, absl::string_view name) {
  std::string value = "<absent>";
  FindFormField(form, name, &value);
  return value;
}

TEST(FormEncodingTest, FindsAndDecodesAFormField) {
  EXPECT_EQ(Field("password=s3cret&next=%2Fcart", "password"), "s3cret");
  EXPECT_EQ(Field("password=s3cret&next=%2Fcart", "next"), "/cart");
  EXPECT_EQ(Field("a=two+words%21", "a"), "two words!");
  EXPECT_EQ(Field("pass%77ord=x", "password"), "x");  // names are decoded too
  EXPECT_EQ(Field("a=1&a=2", "a"), "1");              // the first one counts
  EXPECT_EQ(Field("&&a=&b", "a"), "");
  EXPECT_EQ(Field("b", "b"), "");
  EXPECT_EQ(Field("a=1", "b"), "<absent>");
  EXPECT_EQ(Field("", "a"), "<absent>");
}

TEST(FormEncodingTest, KeepsMalformedPercentSequences) {
  EXPECT_EQ(Field("a=100%", "a"), "100%");
  EXPECT_EQ(Field("a=%zz%4", "a"), "%zz%4");
  EXPECT_EQ(Field("a=%00b", "a"), std::string("\0b", 2));
}

TEST(FormEncodingTest, QueryOfATarget) {
  EXPECT_EQ(QueryOf("/a?b=c&d"), "b=c&d");
  EXPECT_EQ(QueryOf("/a?"), "");
  EXPECT_EQ(QueryOf("/a"), "");
}

TEST(FormEncodingTest, PercentEncodedTargetsComeBackUnchanged) {
  const std::string target = "/shop/cart?item=a b&x=%2F#frag\xc3\xa9";
  std::string encoded = PercentEncode(target);

  EXPECT_EQ(encoded, "/shop/cart%3Fitem%3Da%20b%26x%3D%252F%23frag%C3%A9");
  EXPECT_EQ(Field("next=" + encoded, "next"), target);
}

TEST(FormEncodingTest, EscapesHtml) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("plain /path?a=1"), "plain /path?a=1");
}

TEST(FormEncodingTest, OnlyPathsOnTheSameHostAreLocal) {
  EXPECT_TRUE(IsLocalTarget("/"));
  EXPECT_TRUE(IsLocalTarget("/cart?item=1&x=%2F"));
  EXPECT_TRUE(IsLocalTarget("/a//b"));

  EXPECT_FALSE(IsLocalTarget(""));
  EXPECT_FALSE(IsLocalTarget("cart"));
  EXPECT_FALSE(IsLocalTarget("https://evil.example/"));
  EXPECT_FALSE(IsLocalTarget("//evil.example/"));
  EXPECT_FALSE(IsLocalTarget("/\\evil.example/"));
  EXPECT_FALSE(IsLocalTarget("/a b"));
  EXPECT_FALSE(IsLocalTarget("/a\r\nSet-Cookie: x=1"));
  EXPECT_FALSE(IsLocalTarget("/a\tb"));
  EXPECT_FALSE(IsLocalTarget(std::string("/a\x7f", 3)));
}

}  // namespace
}  // namespace prevu::proxy

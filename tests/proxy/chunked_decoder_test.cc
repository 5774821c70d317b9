// The chunked-body follower: where a body ends, and which framing it refuses.
#include "proxy/chunked_decoder.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace prevu::proxy {
namespace {

TEST(ChunkedDecoderTest, FindsTheEndAndLeavesWhatFollows) {
  std::string body = "5\r\nhello\r\nA;name=value\r\n0123456789\r\n0\r\n\r\n";
  ChunkedDecoder decoder;

  size_t used = decoder.Scan(body + "GET /next");

  EXPECT_TRUE(decoder.done());
  EXPECT_EQ(used, body.size());
}

TEST(ChunkedDecoderTest, WorksOneByteAtATimeAndDecodes) {
  std::string body = "3\r\nabc\r\n1\r\nd\r\n0\r\nX-Trailer: 1\r\n\r\n";
  ChunkedDecoder decoder;
  std::string data;

  for (char c : body) {
    ASSERT_FALSE(decoder.done());
    ASSERT_EQ(decoder.Decode(std::string(1, c),
                             [&](absl::string_view d) { data.append(d.data(), d.size()); }),
              1u);
  }

  EXPECT_TRUE(decoder.done());
  EXPECT_EQ(data, "abcd");
}

TEST(ChunkedDecoderTest, ResetStartsOver) {
  ChunkedDecoder decoder;
  decoder.Scan("0\r\n\r\n");
  ASSERT_TRUE(decoder.done());

  decoder.Reset();

  EXPECT_FALSE(decoder.done());
  EXPECT_EQ(decoder.Scan("1\r\n"), 3u);
}

class BadChunkTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BadChunkTest, FailsBeforeTheBadByte) {
  ChunkedDecoder decoder;

  size_t used = decoder.Scan(GetParam());

  EXPECT_TRUE(decoder.failed());
  EXPECT_LT(used, GetParam().size());
}

INSTANTIATE_TEST_SUITE_P(Framing, BadChunkTest,
                         ::testing::Values("x\r\n",                 // not hex
                                           "\r\n",                  // no size
                                           "-1\r\n",                // sign
                                           "1 1\r\n",               // junk after size
                                           "1000000000000000\r\n",  // 16 digits: overflow
                                           "3\r\nabcX\r\n",         // data longer than size
                                           "3\nabc\r\n",            // bare LF
                                           "3\r\nabc\r\r",          // CR without LF
                                           "3;a=\x01\r\n",          // control in extension
                                           "0\r\nX: \x01\r\n\r\n",  // control in trailer
                                           "0\r\n X: 1\r\n\r\n"));  // folded trailer

}  // namespace
}  // namespace prevu::proxy

namespace prevu::proxy {
namespace {

// Random bytes split at random points: the decoder never claims more than it was given, and a
// body it calls done is one it would also call done when given whole.
TEST(ChunkedDecoderTest, RandomInputSplitAnywhereAgreesWithWholeInput) {
  std::mt19937 random(7);
  const std::string alphabet = "0123456789abcdefABCDEF;= \t\r\n\r\nxyz";
  for (int i = 0; i < 5000; ++i) {
    std::string text;
    size_t length = random() % 64;
    for (size_t j = 0; j < length; ++j) {
      text.push_back(alphabet[random() % alphabet.size()]);
    }

    ChunkedDecoder whole;
    size_t whole_used = whole.Scan(text);
    ChunkedDecoder split;
    size_t cut = text.empty() ? 0 : random() % text.size();
    size_t used = split.Scan(absl::string_view(text).substr(0, cut));
    if (!split.done() && !split.failed()) {
      used += split.Scan(absl::string_view(text).substr(cut));
    }

    ASSERT_LE(whole_used, text.size());
    EXPECT_EQ(used, whole_used) << text;
    EXPECT_EQ(split.done(), whole.done()) << text;
    EXPECT_EQ(split.failed(), whole.failed()) << text;
  }
}

}  // namespace
}  // namespace prevu::proxy

// The strict head parser: valid heads parse with the right facts, and every malformed head
// gets its status.
#include "proxy/http_head.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace prevu::proxy {
namespace {

// Parses `text` (which must end with its blank line) as FindEnd would delimit it. The bytes are
// kept until the next call, as the parsed views point into them.
bool Parse(HttpHead* parsed, const std::string& text) {
  static std::string* kept = new std::string;
  *kept = text;
  const std::string& head = *kept;
  size_t scanned = 0;
  size_t size = 0;
  if (HttpHead::FindEnd(head, &scanned, &size) != HttpHead::Scan::kComplete) {
    ADD_FAILURE() << "head not complete: " << head;
    return false;
  }
  return parsed->ParseRequest(absl::string_view(head).substr(0, size));
}

TEST(HttpHeadTest, ParsesAValidRequest) {
  HttpHead head;
  ASSERT_TRUE(Parse(&head,
                    "POST /a/b?c=%20d HTTP/1.1\r\nHost: Shop.example.com:8080\r\n"
                    "Content-Length: 5\r\nConnection: keep-alive, X-Secret\r\n"
                    "X-Empty:\r\nAccept:  text/html \t\r\n\r\n"));

  EXPECT_EQ(head.method(), "POST");
  EXPECT_EQ(head.target(), "/a/b?c=%20d");
  EXPECT_EQ(head.host(), "Shop.example.com:8080");
  EXPECT_EQ(head.content_length(), 5);
  EXPECT_FALSE(head.chunked());
  EXPECT_TRUE(head.keep_alive());
  ASSERT_EQ(head.connection_options().size(), 1u);
  EXPECT_EQ(head.connection_options()[0], "X-Secret");
  ASSERT_EQ(head.fields().size(), 5u);
  EXPECT_EQ(head.fields()[3].value, "");
  EXPECT_EQ(head.fields()[4].value, "text/html");
}

TEST(HttpHeadTest, AbsoluteFormRoutesByItsAuthority) {
  HttpHead head;
  ASSERT_TRUE(Parse(&head, "GET http://shop.example.com/x?y HTTP/1.1\r\nHost: other\r\n\r\n"));

  EXPECT_EQ(head.host(), "shop.example.com");
  EXPECT_EQ(head.target(), "/x?y");
}

TEST(HttpHeadTest, ChunkedRequestAndHttp10KeepAlive) {
  HttpHead chunked;
  ASSERT_TRUE(Parse(&chunked, "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"));
  EXPECT_TRUE(chunked.chunked());
  EXPECT_EQ(chunked.content_length(), -1);

  HttpHead old;
  ASSERT_TRUE(Parse(&old, "GET / HTTP/1.0\r\nHost: a\r\n\r\n"));
  EXPECT_FALSE(old.keep_alive());
  ASSERT_TRUE(Parse(&old, "GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"));
  EXPECT_TRUE(old.keep_alive());
}

TEST(HttpHeadTest, FindEndWaitsForTheBlankLineAcrossReads) {
  std::string data = "GET / HTTP/1.1\r\nHost: a\r\n";
  size_t scanned = 0;
  size_t size = 0;
  EXPECT_EQ(HttpHead::FindEnd(data, &scanned, &size), HttpHead::Scan::kIncomplete);

  data += "\r";
  EXPECT_EQ(HttpHead::FindEnd(data, &scanned, &size), HttpHead::Scan::kIncomplete);
  data += "\nGET /next";
  EXPECT_EQ(HttpHead::FindEnd(data, &scanned, &size), HttpHead::Scan::kComplete);
  EXPECT_EQ(size, data.size() - 9);
}

TEST(HttpHeadTest, BareLineFeedIsInvalid) {
  size_t scanned = 0;
  size_t size = 0;
  EXPECT_EQ(HttpHead::FindEnd("GET / HTTP/1.1\nHost: a\r\n\r\n", &scanned, &size),
            HttpHead::Scan::kInvalid);
}

struct Malformed {
  const char* name;
  std::string head;
  int status;
};

class MalformedRequestTest : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedRequestTest, IsRefusedWithItsStatus) {
  HttpHead head(/*max_fields=*/8);

  EXPECT_FALSE(Parse(&head, GetParam().head));
  EXPECT_EQ(head.error_status(), GetParam().status) << head.error_reason();
  EXPECT_FALSE(head.error_reason().empty());
}

// Every strictness rule of RFC 9112 that the proxy enforces, one case each (or more).
INSTANTIATE_TEST_SUITE_P(
    Rules, MalformedRequestTest,
    ::testing::Values(
        Malformed{"MissingHost", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400},
        Malformed{"RepeatedHost", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        Malformed{"RepeatedSameHost", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400},
        Malformed{"InvalidHost", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
        Malformed{"HostWithUserinfo", "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400},
        Malformed{"HostBadPort", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400},
        Malformed{"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
        Malformed{"TabBeforeColon", "GET / HTTP/1.1\r\nHost: a\r\nX-A\t: 1\r\n\r\n", 400},
        Malformed{"ObsFold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  2\r\n\r\n", 400},
        Malformed{"ObsFoldTab", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\t2\r\n\r\n", 400},
        Malformed{"NoColon", "GET / HTTP/1.1\r\nHost: a\r\nX-A\r\n\r\n", 400},
        Malformed{"EmptyName", "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", 400},
        Malformed{"BadContentLength", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\n",
                  400},
        Malformed{"NegativeContentLength",
                  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400},
        Malformed{"HugeContentLength",
                  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
                  400},
        Malformed{"EmptyContentLength", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n",
                  400},
        Malformed{"DifferentContentLengths",
                  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                  400},
        Malformed{"DifferentContentLengthList",
                  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n", 400},
        Malformed{"ChunkedNotLast",
                  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
        Malformed{"IdentityOnly",
                  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 400},
        Malformed{"ChunkedTwice",
                  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n",
                  400},
        Malformed{"UnsupportedCoding",
                  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
        Malformed{"BothLengthAndChunked",
                  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n",
                  400},
        Malformed{"TransferEncodingInHttp10",
                  "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        Malformed{"ControlCharInValue",
                  std::string("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\x01\r\n\r\n"), 400},
        Malformed{"NulInValue", std::string("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\0 2\r\n\r\n", 38),
                  400},
        Malformed{"BareCrInValue", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r2\r\n\r\n", 400},
        Malformed{"DelInValue", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\x7f\r\n\r\n", 400},
        Malformed{"ControlCharInName", "GET / HTTP/1.1\r\nHost: a\r\nX\x01: 1\r\n\r\n", 400},
        Malformed{"TargetWithoutSlash", "GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Malformed{"TargetWithFragment", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Malformed{"TargetBadPercent", "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Malformed{"TargetTruncatedPercent", "GET /a%2 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Malformed{"TargetWithQuote", "GET /a\"b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Malformed{"TargetNonAscii", "GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Malformed{"AsteriskNotOptions", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Malformed{"AbsoluteBadScheme", "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Malformed{"DoubleSpace", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Malformed{"TrailingSpace", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
        Malformed{"BadMethod", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Malformed{"BadVersion", "GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400},
        Malformed{"LowerCaseVersion", "GET / http/1.1\r\nHost: a\r\n\r\n", 400},
        Malformed{"Http2Version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
        Malformed{"Connect", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 501},
        Malformed{"BadExpectation", "GET / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n", 417},
        Malformed{"TooManyFields",
                  "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\n"
                  "F: 1\r\nG: 1\r\nH: 1\r\n\r\n",
                  431}),
    [](const ::testing::TestParamInfo<Malformed>& info) { return info.param.name; });

TEST(HttpHeadTest, SameContentLengthTwiceIsOne) {
  HttpHead head;
  ASSERT_TRUE(Parse(
      &head, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nContent-Length: 7, 7\r\n\r\n"));
  EXPECT_EQ(head.content_length(), 7);
}

TEST(HttpHeadTest, ParsesResponseFraming) {
  HttpHead head;
  ASSERT_TRUE(head.ParseResponse("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n"));
  EXPECT_EQ(head.status(), 200);
  EXPECT_EQ(head.content_length(), 12);
  EXPECT_FALSE(head.close_delimited());

  ASSERT_TRUE(head.ParseResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
  EXPECT_TRUE(head.chunked());

  ASSERT_TRUE(head.ParseResponse("HTTP/1.0 200 OK\r\n\r\n"));
  EXPECT_TRUE(head.close_delimited());
  EXPECT_FALSE(head.keep_alive());

  // Both: chunked wins and the connection is not reused (RFC 9112 §6.3).
  ASSERT_TRUE(head.ParseResponse(
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"));
  EXPECT_TRUE(head.chunked());
  EXPECT_FALSE(head.keep_alive());

  ASSERT_TRUE(head.ParseResponse("HTTP/1.1 204\r\n\r\n"));
  EXPECT_EQ(head.status(), 204);
}

TEST(HttpHeadTest, RejectsMalformedResponses) {
  HttpHead head;
  EXPECT_FALSE(head.ParseResponse("HTTP/1.1 20 OK\r\n\r\n"));
  EXPECT_FALSE(head.ParseResponse("HTTP/2 200 OK\r\n\r\n"));
  EXPECT_FALSE(head.ParseResponse("HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n"));
  EXPECT_FALSE(head.ParseResponse("HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n"));
  EXPECT_EQ(head.error_status(), 502);
}

TEST(HttpHeadTest, HopByHopNames) {
  for (const char* name : {"Connection", "keep-alive", "Proxy-Connection", "TE", "Trailer",
                           "Transfer-Encoding", "Upgrade"}) {
    EXPECT_TRUE(IsHopByHop(name)) << name;
  }
  EXPECT_FALSE(IsHopByHop("Content-Length"));
  EXPECT_FALSE(IsHopByHop("Tx"));
}

}  // namespace
}  // namespace prevu::proxy

namespace prevu::proxy {
namespace {

// Mutated heads (seeded, so every run tries the same ones): the parser either refuses them with
// a status or accepts them with views that lie inside the input. Run under AddressSanitizer this
// also catches reads past the end.
TEST(HttpHeadTest, MutatedHeadsAreRefusedOrParsedWithinTheInput) {
  const std::string seed =
      "POST http://a.example.com:80/p?q=%41 HTTP/1.1\r\nHost: a.example.com\r\n"
      "Content-Length: 10\r\nTransfer-Encoding: chunked\r\nConnection: close, x\r\n"
      "Expect: 100-continue\r\nUpgrade: websocket\r\n\r\n";
  const std::string alphabet = std::string("\r\n \t:,;%/?*#0aZ\x01\x7f\xff", 19);
  std::mt19937 random(42);
  HttpHead head(16);
  int accepted = 0;

  for (int i = 0; i < 20000; ++i) {
    std::string text = seed;
    int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      size_t at = random() % text.size();
      char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0:
          text[at] = c;
          break;
        case 1:
          text.insert(text.begin() + at, c);
          break;
        default:
          text.erase(at, 1);
          break;
      }
    }

    size_t scanned = 0;
    size_t size = 0;
    if (HttpHead::FindEnd(text, &scanned, &size) != HttpHead::Scan::kComplete) {
      continue;
    }
    ASSERT_LE(size, text.size());
    std::string block = text.substr(0, size);  // exactly the head, so reads past it are caught
    if (!head.ParseRequest(block)) {
      EXPECT_GE(head.error_status(), 400);
      continue;
    }
    ++accepted;
    for (absl::string_view view : {head.method(), head.host()}) {
      EXPECT_GE(view.data(), block.data());
      EXPECT_LE(view.data() + view.size(), block.data() + block.size());
    }
    EXPECT_FALSE(head.chunked() && head.content_length() >= 0);
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace prevu::proxy

// The heads that leave the proxy: forwarding fields, hop-by-hop removal, request ids.
#include "proxy/header_rewriter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace prevu::proxy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class HeaderRewriterTest : public ::testing::Test {
 protected:
  std::string Rewrite(const std::string& raw, bool trusted, bool upgrade = false) {
    raw_ = raw;
    EXPECT_TRUE(head_.ParseRequest(raw_)) << head_.error_reason();
    Peer peer{"192.0.2.9", false, trusted};
    std::string out;
    rewriter_.WriteRequest(head_, peer, "req-1", upgrade, &out);
    return out;
  }

  ProxyConfig config_;
  HeaderRewriter rewriter_{&config_};
  HttpHead head_;
  std::string raw_;
};

TEST_F(HeaderRewriterTest, UntrustedPeerReplacesTheForwardingChain) {
  std::string out = Rewrite(
      "GET /a HTTP/1.1\r\nHost: shop.example.com\r\nX-Forwarded-For: 6.6.6.6\r\n"
      "X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil\r\nForwarded: for=6.6.6.6\r\n"
      "X-Request-Id: abc\r\n\r\n",
      /*trusted=*/false);

  EXPECT_THAT(out, HasSubstr("GET /a HTTP/1.1\r\nHost: shop.example.com\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\nX-Forwarded-For: 192.0.2.9\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\nX-Forwarded-Proto: http\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\nX-Forwarded-Host: shop.example.com\r\n"));
  EXPECT_THAT(out,
              HasSubstr("\r\nForwarded: for=192.0.2.9;host=\"shop.example.com\";proto=http\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\nX-Request-Id: req-1\r\n"));
  EXPECT_THAT(out, Not(HasSubstr("6.6.6.6")));
  EXPECT_THAT(out, Not(HasSubstr("evil")));
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
}

TEST_F(HeaderRewriterTest, TrustedPeerExtendsTheChain) {
  std::string out = Rewrite(
      "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\n"
      "X-Forwarded-Proto: https\r\nForwarded: for=1.1.1.1\r\n\r\n",
      /*trusted=*/true);

  EXPECT_THAT(out, HasSubstr("\r\nX-Forwarded-For: 1.1.1.1, 2.2.2.2, 192.0.2.9\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\nX-Forwarded-Proto: https\r\n"));
  EXPECT_THAT(out,
              HasSubstr("\r\nForwarded: for=1.1.1.1, for=192.0.2.9;host=\"a\";proto=http\r\n"));
}

TEST_F(HeaderRewriterTest, Ipv6PeerIsQuotedInForwarded) {
  raw_ = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  ASSERT_TRUE(head_.ParseRequest(raw_));
  std::string out;

  rewriter_.WriteRequest(head_, Peer{"fd00::1", true, false}, "r", false, &out);

  EXPECT_THAT(out, HasSubstr("\r\nForwarded: for=\"[fd00::1]\";host=\"a\";proto=http\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\nX-Forwarded-For: fd00::1\r\n"));
}

TEST_F(HeaderRewriterTest, HopByHopFieldsAreRemoved) {
  std::string out = Rewrite(
      "POST / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Secret, Content-Length\r\n"
      "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\n"
      "Trailer: X-T\r\nUpgrade: websocket\r\nX-Secret: 1\r\nX-Kept: 2\r\n"
      "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n",
      false);

  for (const char* gone : {"Connection:", "Keep-Alive", "Proxy-Connection", "TE:", "Trailer",
                           "Upgrade", "X-Secret", "Expect"}) {
    EXPECT_THAT(out, Not(HasSubstr(gone))) << gone;
  }
  EXPECT_THAT(out, HasSubstr("\r\nX-Kept: 2\r\n"));
  // Nominating a framing field in Connection does not remove it.
  EXPECT_THAT(out, HasSubstr("\r\nContent-Length: 4\r\n"));
}

TEST_F(HeaderRewriterTest, ChunkedAndUpgradeAreKeptWhereTheyApply) {
  std::string chunked =
      Rewrite("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", false);
  EXPECT_THAT(chunked, HasSubstr("\r\nTransfer-Encoding: chunked\r\n"));

  std::string upgrade = Rewrite(
      "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", false,
      /*upgrade=*/true);
  EXPECT_THAT(upgrade, HasSubstr("\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"));
}

TEST_F(HeaderRewriterTest, IncomingRequestIdIsUsedWhenSensible) {
  raw_ = "GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: abc-123\r\n\r\n";
  ASSERT_TRUE(head_.ParseRequest(raw_));
  EXPECT_EQ(HeaderRewriter::IncomingRequestId(head_), "abc-123");

  raw_ = "GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: a b\r\n\r\n";
  ASSERT_TRUE(head_.ParseRequest(raw_));
  EXPECT_EQ(HeaderRewriter::IncomingRequestId(head_), "");

  raw_ = "GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: " + std::string(201, 'x') + "\r\n\r\n";
  ASSERT_TRUE(head_.ParseRequest(raw_));
  EXPECT_EQ(HeaderRewriter::IncomingRequestId(head_), "");
}

TEST_F(HeaderRewriterTest, ResponseDropsHopByHopAndSaysClose) {
  HttpHead response;
  std::string raw =
      "HTTP/1.1 200 OK\r\nConnection: X-Internal\r\nKeep-Alive: timeout=5\r\nX-Internal: 1\r\n"
      "Content-Length: 3\r\nX-App: yes\r\n\r\n";
  ASSERT_TRUE(response.ParseResponse(raw));
  std::string out;

  rewriter_.WriteResponse(response, ResponseBody::kLength, /*close=*/true, false, &out);

  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-App: yes\r\nConnection: close\r\n\r\n");
}

TEST_F(HeaderRewriterTest, NoindexIsAddedUnlessTheResponseSaysOtherwise) {
  config_.noindex = true;
  HttpHead response;
  std::string plain = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  std::string own = "HTTP/1.1 200 OK\r\nX-Robots-Tag: all\r\nContent-Length: 0\r\n\r\n";
  std::string out;

  ASSERT_TRUE(response.ParseResponse(plain));
  rewriter_.WriteResponse(response, ResponseBody::kLength, false, false, &out);
  EXPECT_THAT(out, HasSubstr("\r\nX-Robots-Tag: noindex\r\n"));

  ASSERT_TRUE(response.ParseResponse(own));
  rewriter_.WriteResponse(response, ResponseBody::kLength, false, false, &out);
  EXPECT_THAT(out, HasSubstr("\r\nX-Robots-Tag: all\r\n"));
  EXPECT_THAT(out, Not(HasSubstr("noindex")));
}

TEST_F(HeaderRewriterTest, DechunkedResponseLosesItsFraming) {
  HttpHead response;
  std::string raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  ASSERT_TRUE(response.ParseResponse(raw));
  std::string out;

  rewriter_.WriteResponse(response, ResponseBody::kDechunked, true, false, &out);

  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace prevu::proxy

// The CA's HTTP client: answers, deadlines, failures named by step, and Retry-After.
#include "proxy/acme/https_client.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/proxy/test_http.h"

namespace prevu::proxy::acme {
namespace {

using proxy::testing::RecordingUpstream;

std::unique_ptr<HttpsClient> Client(absl::Duration timeout = absl::Seconds(5)) {
  return std::move(*HttpsClient::Create({.timeout = timeout}));
}

TEST(HttpsClientTest, SendsTheRequestAndReadsTheAnswer) {
  RecordingUpstream server([](const RecordingUpstream::Request&) {
    return "HTTP/1.1 201 Created\r\nLocation: /order/1\r\nContent-Length: 2\r\n\r\n{}";
  });

  absl::StatusOr<HttpResponse> response =
      Client()->Send("POST", absl::StrCat("http://127.0.0.1:", server.port(), "/new-order"),
                     "application/jose+json", "{\"x\":1}", "application/json");

  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->Header("location"), "/order/1");
  EXPECT_EQ(response->body, "{}");
  RecordingUpstream::Request seen = server.requests().at(0);
  EXPECT_EQ(seen.head.rfind("POST /new-order HTTP/1.1\r\n", 0), 0u);
  EXPECT_EQ(proxy::testing::HeaderValue(seen.head, "host"),
            absl::StrCat("127.0.0.1:", server.port()));
  EXPECT_EQ(proxy::testing::HeaderValue(seen.head, "content-type"), "application/jose+json");
  EXPECT_EQ(proxy::testing::HeaderValue(seen.head, "accept"), "application/json");
  EXPECT_EQ(seen.body, "{\"x\":1}");
}

TEST(HttpsClientTest, HeadReadsNoBody) {
  RecordingUpstream server([](const RecordingUpstream::Request&) {
    return "HTTP/1.1 200 OK\r\nReplay-Nonce: abc\r\nContent-Length: 10\r\n\r\n";
  });

  absl::StatusOr<HttpResponse> response =
      Client()->Send("HEAD", absl::StrCat("http://127.0.0.1:", server.port(), "/nonce"));

  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->Header("Replay-Nonce"), "abc");
}

TEST(HttpsClientTest, SilentServerHitsTheDeadline) {
  RecordingUpstream server([](const RecordingUpstream::Request&) { return std::string(); });
  absl::Time start = absl::Now();

  absl::StatusOr<HttpResponse> response =
      Client(absl::Milliseconds(300))
          ->Send("GET", absl::StrCat("http://127.0.0.1:", server.port(), "/dir"));

  EXPECT_TRUE(absl::IsDeadlineExceeded(response.status())) << response.status();
  EXPECT_NE(response.status().message().find("during read"), absl::string_view::npos);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST(HttpsClientTest, RefusedConnectionNamesTheStep) {
  absl::StatusOr<HttpResponse> response = Client()->Send(
      "GET", absl::StrCat("http://127.0.0.1:", proxy::testing::ClosedPort(), "/dir"));

  EXPECT_TRUE(absl::IsUnavailable(response.status())) << response.status();
  EXPECT_NE(response.status().message().find("connect failed"), absl::string_view::npos);
}

TEST(HttpsClientTest, MalformedUrls) {
  EXPECT_TRUE(absl::IsInvalidArgument(Client()->Send("GET", "ftp://ca/dir").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Client()->Send("GET", "https://:443/dir").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Client()->Send("GET", "https://ca:99999/").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Client()->Send("GET", "https://[::1/").status()));
}

TEST(HttpsClientTest, UnreadableCaFileIsRefusedAtCreation) {
  absl::StatusOr<std::unique_ptr<HttpsClient>> client =
      HttpsClient::Create({.ca_file = "/nonexistent/ca.pem"});

  EXPECT_TRUE(absl::IsInvalidArgument(client.status())) << client.status();
  EXPECT_NE(client.status().message().find("/nonexistent/ca.pem"), absl::string_view::npos);
}

TEST(HttpsClientTest, RetryAfterInSecondsOrAsADate) {
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);  // Tue, 14 Nov 2023 22:13:20 GMT

  EXPECT_EQ(ParseRetryAfter("120", now), absl::Seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:14:20 GMT", now), absl::Seconds(60));
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:00:00 GMT", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-5", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
}

}  // namespace
}  // namespace prevu::proxy::acme

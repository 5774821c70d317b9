// Problem documents become statuses that keep the CA's own words.
#include "proxy/acme/problem.h"

#include <gtest/gtest.h>

#include <string>

namespace prevu::proxy::acme {
namespace {

TEST(ProblemTest, MessageCarriesContextDetailAndShortType) {
  std::optional<Problem> problem = ParseProblemBody(R"({
    "type": "urn:ietf:params:acme:error:unauthorized",
    "detail": "Invalid response from http://pr-1.example.com/.well-known/acme-challenge/x: 404",
    "status": 403})");
  ASSERT_TRUE(problem.has_value());

  absl::Status status = ProblemStatus(*problem, "HTTP-01 validation of pr-1.example.com");

  EXPECT_TRUE(absl::IsPermissionDenied(status));
  EXPECT_EQ(status.message(),
            "HTTP-01 validation of pr-1.example.com: Invalid response from "
            "http://pr-1.example.com/.well-known/acme-challenge/x: 404 (unauthorized)");
  EXPECT_EQ(problem->status, 403);
}

TEST(ProblemTest, SubproblemsNameTheirIdentifiers) {
  std::optional<Problem> problem = ParseProblemBody(R"({
    "type": "urn:ietf:params:acme:error:rejectedIdentifier",
    "detail": "Some of the identifiers requested were rejected",
    "subproblems": [
      {"type": "urn:ietf:params:acme:error:rejectedIdentifier",
       "detail": "Domain name is on the deny list",
       "identifier": {"type": "dns", "value": "bad.example.net"}},
      {"type": "urn:ietf:params:acme:error:malformed",
       "detail": "Invalid underscore in DNS name",
       "identifier": {"type": "dns", "value": "_x.example.net"}}
    ]})");
  ASSERT_TRUE(problem.has_value());

  absl::Status status = ProblemStatus(*problem, "order for bad.example.net, _x.example.net");

  EXPECT_EQ(status.message(),
            "order for bad.example.net, _x.example.net: Some of the identifiers requested were "
            "rejected (rejectedIdentifier); bad.example.net: Domain name is on the deny list "
            "(rejectedIdentifier); _x.example.net: Invalid underscore in DNS name (malformed)");
}

TEST(ProblemTest, CodesFollowTheType) {
  auto code = [](const std::string& type) {
    Problem problem;
    problem.type = "urn:ietf:params:acme:error:" + type;
    return ProblemStatus(problem, "x").code();
  };

  EXPECT_EQ(code("rateLimited"), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(code("badNonce"), absl::StatusCode::kAborted);
  EXPECT_EQ(code("caa"), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(code("badCSR"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code("serverInternal"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(code("dns"), absl::StatusCode::kFailedPrecondition);
}

TEST(ProblemTest, NonAcmeTypeIsKeptWholeAndMissingDetailIsSaid) {
  Problem problem;
  problem.type = "about:blank";

  EXPECT_EQ(ProblemStatus(problem, "x").message(), "x: the CA reported about:blank");
}

TEST(ProblemTest, NotAProblemDocument) {
  EXPECT_FALSE(ParseProblemBody("<html>502 Bad Gateway</html>").has_value());
  EXPECT_FALSE(ParseProblemBody(R"({"status": "pending"})").has_value());
  EXPECT_FALSE(ParseProblemBody("[]").has_value());
}

TEST(ProblemTest, MembersOfTheWrongTypeReadAsAbsent) {
  std::optional<Problem> problem =
      ParseProblemBody(R"({"type": 7, "detail": "d", "status": "x", "subproblems": {}})");

  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->type, "");
  EXPECT_EQ(problem->detail, "d");
  EXPECT_EQ(problem->status, 0);
  EXPECT_TRUE(problem->subproblems.empty());
}

// Found by tests/fuzz/acme_answer_fuzz: subproblems nested 20000 deep (580 KB, within the HTTPS
// client's 1 MiB body limit) overflowed the stack. Only the top level's are read (RFC 8555
// section 6.7.1).
TEST(ProblemTest, NestedSubproblemsAreNotRead) {
  constexpr int kDepth = 100'000;
  std::string body;
  for (int i = 0; i < kDepth; ++i) {
    body += R"({"type": "urn:ietf:params:acme:error:malformed", "subproblems": [)";
  }
  for (int i = 0; i < kDepth; ++i) {
    body += "]}";
  }

  std::optional<Problem> problem = ParseProblemBody(body);

  ASSERT_TRUE(problem.has_value());
  ASSERT_EQ(problem->subproblems.size(), 1u);
  EXPECT_EQ(problem->subproblems[0].type, "urn:ietf:params:acme:error:malformed");
  EXPECT_TRUE(problem->subproblems[0].subproblems.empty());
}

}  // namespace
}  // namespace prevu::proxy::acme

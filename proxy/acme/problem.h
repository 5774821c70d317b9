// Problem documents (RFC 7807) as an ACME CA sends them (RFC 8555 section 6.7), and the
// absl::Status they become. The CA's own `detail` is kept word for word: it is what an operator
// needs to fix a DNS record or a firewall, and it ends up in the preview's CertReady condition.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace prevu::proxy::acme {

struct Problem {
  std::string type;  // "urn:ietf:params:acme:error:badNonce", or another URI
  std::string detail;
  int status = 0;          // 0 when absent
  std::string identifier;  // the identifier's value, for a subproblem (section 6.7.1)
  std::vector<Problem> subproblems;

  // The part after "urn:ietf:params:acme:error:" ("badNonce"), or the whole type otherwise.
  std::string ShortType() const;
};

// A problem from a parsed JSON value (a response body, or the `error` member of a challenge,
// authorization or order); nothing when it is not an object with a `type` or a `detail`.
std::optional<Problem> ParseProblem(const nlohmann::json& document);
std::optional<Problem> ParseProblemBody(absl::string_view body);

// "<context>: <detail> (<short type>)", then "; <identifier>: <detail> (<short type>)" for each
// subproblem. The code follows the type: rateLimited ResourceExhausted; badNonce Aborted;
// unauthorized, caa, rejectedIdentifier PermissionDenied; malformed and the bad*/unsupported*/
// invalidContact family InvalidArgument; serverInternal Unavailable; connection, dns,
// incorrectResponse, tls and everything else FailedPrecondition.
absl::Status ProblemStatus(const Problem& problem, absl::string_view context);

}  // namespace prevu::proxy::acme

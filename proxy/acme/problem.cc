// Problem documents; see problem.h.
#include "proxy/acme/problem.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "controller/base/strings.h"
#include "proxy/acme/json_util.h"

namespace prevu::proxy::acme {
namespace {

constexpr absl::string_view kAcmeErrorPrefix = "urn:ietf:params:acme:error:";

absl::StatusCode CodeFor(absl::string_view type) {
  if (type == "rateLimited") {
    return absl::StatusCode::kResourceExhausted;
  }
  if (type == "badNonce") {
    return absl::StatusCode::kAborted;
  }
  if (type == "unauthorized" || type == "caa" || type == "rejectedIdentifier") {
    return absl::StatusCode::kPermissionDenied;
  }
  if (type == "malformed" || absl::StartsWith(type, "bad") ||
      absl::StartsWith(type, "unsupported") || type == "invalidContact") {
    return absl::StatusCode::kInvalidArgument;
  }
  if (type == "serverInternal") {
    return absl::StatusCode::kUnavailable;
  }
  return absl::StatusCode::kFailedPrecondition;
}

void AppendProblem(const Problem& problem, std::string* out) {
  if (problem.detail.empty()) {
    absl::StrAppend(out, "the CA reported ", problem.ShortType());
  } else {
    absl::StrAppend(out, problem.detail, " (", problem.ShortType(), ")");
  }
}

// The members of one problem document, leaving out its subproblems.
std::optional<Problem> ParseOneProblem(const nlohmann::json& document) {
  if (!document.is_object() || (!document.contains("type") && !document.contains("detail"))) {
    return std::nullopt;
  }
  Problem problem;
  problem.type = StringOrEmpty(document, "type");
  problem.detail = StringOrEmpty(document, "detail");
  auto status = document.find("status");
  if (status != document.end() && status->is_number_integer()) {
    problem.status = status->get<int>();
  }
  auto identifier = document.find("identifier");
  if (identifier != document.end() && identifier->is_object()) {
    problem.identifier = StringOrEmpty(*identifier, "value");
  }
  return problem;
}

}  // namespace

std::string Problem::ShortType() const {
  absl::string_view short_type = type;
  if (!absl::ConsumePrefix(&short_type, kAcmeErrorPrefix) && short_type.empty()) {
    return "unknown error";
  }
  return std::string(short_type);
}

std::optional<Problem> ParseProblem(const nlohmann::json& document) {
  std::optional<Problem> problem = ParseOneProblem(document);
  if (!problem) {
    return std::nullopt;
  }

  // RFC 8555 section 6.7.1 gives subproblems to the top-level problem only. Reading theirs as
  // well would recurse once per level, and an answer within the body limit nests deep enough to
  // overflow the stack.
  auto subproblems = document.find("subproblems");
  if (subproblems != document.end() && subproblems->is_array()) {
    for (const nlohmann::json& sub : *subproblems) {
      if (std::optional<Problem> parsed = ParseOneProblem(sub)) {
        problem->subproblems.push_back(std::move(*parsed));
      }
    }
  }
  return problem;
}

std::optional<Problem> ParseProblemBody(absl::string_view body) {
  return ParseProblem(nlohmann::json::parse(ToStd(body), nullptr, false));
}

absl::Status ProblemStatus(const Problem& problem, absl::string_view context) {
  std::string message = absl::StrCat(context, ": ");
  AppendProblem(problem, &message);
  for (const Problem& sub : problem.subproblems) {
    absl::StrAppend(&message, "; ", sub.identifier.empty() ? "subproblem" : sub.identifier, ": ");
    AppendProblem(sub, &message);
  }
  return absl::Status(CodeFor(problem.ShortType()), message);
}

}  // namespace prevu::proxy::acme

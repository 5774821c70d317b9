// Fuzzes what the ACME client reads from a CA's answers: the Retry-After value on the first line,
// then a body read both as a problem document (RFC 8555 section 6.7) and as the PEM chain of an
// issued certificate. A CA is trusted to sign, not to send well-formed bytes.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proxy/acme/certificate_info.h"
#include "proxy/acme/https_client.h"
#include "proxy/acme/problem.h"
#include "tests/fuzz/fuzz_support.h"

namespace prevu::proxy::acme {
namespace {

constexpr absl::string_view kAcmeErrorPrefix = "urn:ietf:params:acme:error:";

void CheckProblem(absl::string_view body) {
  std::optional<Problem> problem = ParseProblemBody(body);
  if (!problem) {
    return;
  }
  std::string short_type = problem->ShortType();
  if (problem->type.empty()) {
    FUZZ_CHECK(short_type == "unknown error");
  } else if (absl::StartsWith(problem->type, kAcmeErrorPrefix)) {
    FUZZ_CHECK(absl::StrCat(kAcmeErrorPrefix, short_type) == problem->type);
  } else {
    FUZZ_CHECK(short_type == problem->type);
  }

  // The CA's own words reach the operator unchanged, after the context.
  absl::Status status = ProblemStatus(*problem, "new order");
  FUZZ_CHECK(!status.ok() && absl::StartsWith(status.message(), "new order: "));
  FUZZ_CHECK(absl::StrContains(status.message(), problem->detail));
  for (const Problem& sub : problem->subproblems) {
    FUZZ_CHECK(absl::StrContains(status.message(), sub.detail));
  }
}

void CheckRetryAfter(absl::string_view value) {
  const absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  std::optional<absl::Duration> wait = ParseRetryAfter(value, now);
  FUZZ_CHECK(!wait || *wait >= absl::ZeroDuration());
}

void CheckCertificate(absl::string_view chain_pem) {
  absl::StatusOr<CertificateInfo> info = InspectCertificate(chain_pem);
  if (!info.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(info.status()));
    return;
  }
  // The names and times come from the first certificate alone, however many follow it.
  absl::StatusOr<CertificateInfo> twice =
      InspectCertificate(absl::StrCat(chain_pem, "\n", chain_pem));
  FUZZ_CHECK(twice.ok() && twice->names == info->names && twice->lifetime() == info->lifetime());
}

}  // namespace
}  // namespace prevu::proxy::acme

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  prevu::fuzz::FuzzInput input(data, size);
  std::string retry_after(input.Line());
  std::string body(input.Rest());

  prevu::proxy::acme::CheckRetryAfter(retry_after);
  prevu::proxy::acme::CheckProblem(body);
  prevu::proxy::acme::CheckCertificate(body);
  return 0;
}

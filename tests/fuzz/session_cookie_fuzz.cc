// Fuzzes the session cookie check with a fixed key and clock. Input: a host on the first line,
// then a Cookie header as a browser (or a forger) sends it. A forged header must never pass; a
// cookie the proxy issued must pass for its own host and mode only.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proxy/auth/session_cookie.h"
#include "tests/fuzz/fuzz_support.h"

namespace prevu::proxy {
namespace {

constexpr AuthMode kModes[] = {AuthMode::kNone, AuthMode::kPassword, AuthMode::kForward,
                               AuthMode::kBypassToken};

// The Cookie header value a browser sends back for a Set-Cookie value: its first attribute.
std::string CookieOf(absl::string_view set_cookie) {
  return std::string(set_cookie.substr(0, set_cookie.find(';')));
}

void CheckIssued(const SessionCookie& cookies, base::FakeClock* clock, const std::string& host,
                 AuthMode mode) {
  std::string cookie = CookieOf(cookies.Issue(host, mode, /*secure=*/true));
  if (host.size() > 255) {
    // Too long to sign: Issue hands out the sign-out value instead.
    FUZZ_CHECK(cookie == absl::StrCat(SessionCookie::kName, "="));
    return;
  }
  FUZZ_CHECK(cookies.Verify(cookie, host, mode));
  FUZZ_CHECK(cookies.Verify(absl::StrCat("a=b; ", cookie, ";c"), host, mode));
  FUZZ_CHECK(!cookies.Verify(cookie, absl::StrCat(host, "x"), mode));
  for (AuthMode other : kModes) {
    FUZZ_CHECK(cookies.Verify(cookie, host, other) == (other == mode));
  }

  clock->Advance(absl::Hours(2));
  FUZZ_CHECK(!cookies.Verify(cookie, host, mode));  // expired
  clock->Advance(-absl::Hours(2));
}

}  // namespace
}  // namespace prevu::proxy

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using prevu::proxy::SessionCookie;
  prevu::fuzz::FuzzInput input(data, size);
  auto mode = prevu::proxy::kModes[input.Byte() % 4];
  std::string host(input.Line());
  std::string header(input.Rest());

  prevu::base::FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  SessionCookie cookies(std::string(32, 'k'), absl::Hours(1), &clock);
  // Cookies are signed with this key only, so no fuzzed header can carry a valid signature but
  // one the proxy issued at this instant (the seeds hold some).
  std::string issued = prevu::proxy::CookieOf(cookies.Issue(host, mode, /*secure=*/false));
  absl::string_view issued_value =
      absl::string_view(issued).substr(SessionCookie::kName.size() + 1);
  FUZZ_CHECK(!cookies.Verify(header, host, mode) ||
             (!issued_value.empty() && absl::StrContains(header, issued_value)));
  FUZZ_CHECK(!cookies.VerifyValue(header, host, mode) || header == issued_value);

  prevu::proxy::CheckIssued(cookies, &clock, host, mode);
  return 0;
}

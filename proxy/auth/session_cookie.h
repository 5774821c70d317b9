// The signed session cookie that a right password earns: it names the host it was issued for,
// its expiry and the auth mode, under an HMAC-SHA256 with the proxy's cookie key, so the proxy
// keeps no session table and a cookie cannot be moved to another host, extended or forged.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "controller/base/clock.h"
#include "proxy/auth/auth_settings.h"

namespace prevu::proxy {

class SessionCookie {
 public:
  static constexpr absl::string_view kName = "prevu_session";

  // `key` signs the cookies (kCookieKeyBytes bytes; a shorter one still works but is weaker);
  // `ttl` is how long one stays valid; `clock` must outlive this object.
  SessionCookie(std::string key, absl::Duration ttl, const base::Clock* clock);

  // The Set-Cookie field value that signs in to `host` (lower case, without port) under `mode`:
  // Path=/, no Domain (so the cookie stays on this host), HttpOnly, SameSite=Lax, Max-Age = the
  // TTL, and Secure when `secure` (the connection is HTTPS).
  std::string Issue(absl::string_view host, AuthMode mode, bool secure) const;

  // The Set-Cookie field value that removes the cookie (sign out).
  static std::string Clear(bool secure);

  // True when a cookie named kName in `cookie_header` (a Cookie field value, "a=1; b=2") was
  // issued by this key for `host` and `mode` and has not expired. The signature is compared in
  // constant time. Thread-safe.
  bool Verify(absl::string_view cookie_header, absl::string_view host, AuthMode mode) const;

  // The same for one cookie value, without the name.
  bool VerifyValue(absl::string_view value, absl::string_view host, AuthMode mode) const;

 private:
  // The signature of (host, expiry, mode) in unpadded base64url, kSignatureChars long, written
  // into `out`. False when the host is too long to sign.
  static constexpr size_t kSignatureChars = 43;
  bool Sign(absl::string_view host, int64_t expiry, AuthMode mode, char* out) const;

  std::string key_;
  absl::Duration ttl_;
  const base::Clock* clock_;
};

}  // namespace prevu::proxy

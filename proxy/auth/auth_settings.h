// The proxy's access-control settings: which mode protects preview hosts by default and what
// each mode needs (the password, the forward-auth service, the bypass token, the key that signs
// session cookies). Built once by whoever starts the proxy, then read-only.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proxy/route_publisher.h"

namespace prevu::proxy {

// How a preview host is protected.
enum class AuthMode {
  kNone,         // anyone who knows the URL
  kPassword,     // a shared password at /.prevu/login, then a signed session cookie
  kForward,      // every request is first asked about at forward_url (like Traefik's forward auth)
  kBypassToken,  // only requests that carry "X-Prevu-Bypass: <bypass_token>"
};

// "none", "password", "forward" or "bypass_token".
absl::string_view AuthModeName(AuthMode mode);

// The mode that protects a route: its own, or `default_mode` when it says kDefault.
AuthMode EffectiveMode(RouteAuth route, AuthMode default_mode);

// Where forward auth asks, parsed from forward_url once.
struct ForwardTarget {
  bool https = false;
  std::string host;         // a name or an IP address, without brackets
  uint16_t port = 0;        // 80 or 443 unless the URL says otherwise
  std::string host_header;  // the Host field of the subrequest: "auth.example.com:9091"
  std::string target;       // path and query: "/api/verify?rd=x"; "/" when the URL has none
};

// Parses "http://host[:port][/path][?query]" or the same with https. Returns InvalidArgument
// naming the problem (no scheme, user information, empty host, a bad port, a fragment).
absl::StatusOr<ForwardTarget> ParseForwardUrl(absl::string_view url);

// Defaults and the reasons for them:
//
// - cookie_ttl 24 h: a reviewer signs in once a day.
// - forward_timeout 5 s: an identity service slower than that is down; requests fail closed.
// - login_attempts 10 per login_window (1 min) per client address: a person who mistypes is never
//   stopped, a password guesser is held to 14,400 guesses a day per address.
// - max_form_bytes 4 KiB: the login form has two short fields.
// - max_forward_body_bytes 64 KiB: a deny page from the auth service passes, a runaway one not.
struct AuthSettings {
  AuthMode mode = AuthMode::kNone;  // for routes whose Route::auth is kDefault

  std::string password;  // kPassword; empty = the mode is not configured
  std::string forward_url;
  // Fields of a 2xx forward-auth answer copied into the request that goes upstream (such as
  // "Remote-User"). A client's own fields of these names are always removed first.
  std::vector<std::string> forward_response_headers;
  std::string bypass_token;  // empty = no request passes by token

  absl::Duration cookie_ttl = absl::Hours(24);
  std::string cookie_key;  // kCookieKeyBytes random bytes; see LoadOrCreateCookieKey

  absl::Duration forward_timeout = absl::Seconds(5);
  // A CA bundle (PEM) to trust for an https forward_url; empty = the system's trust store.
  std::string forward_ca_file;
  int login_attempts = 10;
  absl::Duration login_window = absl::Minutes(1);
  size_t max_form_bytes = 4 * 1024;
  size_t max_forward_body_bytes = 64 * 1024;
};

// The size of the key that signs session cookies (HMAC-SHA256).
inline constexpr size_t kCookieKeyBytes = 32;

// Checks that every mode in `modes_in_use` has what it needs (a password, a parseable
// forward_url, a bypass token) and that the cookie key has kCookieKeyBytes bytes. Returns
// InvalidArgument naming the first missing setting.
absl::Status ValidateAuthSettings(const AuthSettings& settings,
                                  const std::vector<AuthMode>& modes_in_use);

// The file in the state directory that holds the cookie key.
inline constexpr absl::string_view kCookieKeyFileName = "auth-cookie.key";

// Reads the cookie key from `state_dir`/auth-cookie.key, or, when the file does not exist,
// creates it with kCookieKeyBytes random bytes and mode 0600 (written to a temporary file,
// synced, then linked into place, so a crash or a second process never leaves a short key).
// `state_dir` must exist. Returns the error of the failing call with the path, or DataLoss when
// the file exists with the wrong size. Blocks on the file system; call at start-up.
absl::StatusOr<std::string> LoadOrCreateCookieKey(const std::string& state_dir);

}  // namespace prevu::proxy

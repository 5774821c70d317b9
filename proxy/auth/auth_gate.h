// Access control in front of preview hosts. For each request, after the route is found, the
// connection asks the gate whether the request may go upstream; the gate answers from the
// request head alone (password and bypass-token modes), asks for the login form's body, or asks
// for a subrequest to the forward-auth service. It does no I/O itself except through the
// ForwardAuthClient it is handed, so it is shared by every proxy thread.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "controller/base/asio.h"
#include "controller/base/clock.h"
#include "controller/base/metrics.h"
#include "proxy/auth/auth_settings.h"
#include "proxy/auth/forward_auth_client.h"
#include "proxy/auth/login_limiter.h"
#include "proxy/auth/session_cookie.h"
#include "proxy/http_head.h"

namespace prevu::proxy {

// The facts about a request that the gate needs besides its head.
struct AuthRequest {
  const HttpHead* head = nullptr;  // parsed; its views must stay valid during the call
  RouteAuth route_auth = RouteAuth::kDefault;
  absl::string_view client_address;  // the peer: "10.0.0.7" or "fd00::7"
  bool trusted_peer = false;         // a trusted proxy: its X-Forwarded-For names the real client
  bool https = false;                // the client's connection is TLS
};

// A complete response the proxy writes for the gate. The head holds the status line and the
// fields, each ending in CRLF, but no Connection field and not the blank line: the connection
// adds those, as it alone knows whether it stays open.
struct AuthReply {
  int status = 0;
  std::string head;
  std::string body;  // empty for a HEAD request
};

// Changes to the request before it goes upstream.
struct UpstreamEdit {
  std::vector<std::string> remove;  // field names, compared ignoring case
  std::vector<std::pair<std::string, std::string>> add;

  bool empty() const { return remove.empty() && add.empty(); }

  // Applies the edit to a request head as HeaderRewriter writes it (request line, fields, blank
  // line): drops every field named in `remove`, then adds the `add` fields before the blank line.
  void ApplyTo(std::string* head) const;
};

struct AuthDecision {
  enum class Kind {
    kPass,           // forward the request upstream, after applying `edit`
    kReply,          // write `reply` instead
    kReadLoginForm,  // read the body (Content-Length bytes, within max_form_bytes), then Login()
    kAskForward,     // call AskForward() with this decision
  };

  Kind kind = Kind::kPass;
  UpstreamEdit edit;
  AuthReply reply;
  // kReadLoginForm: the host to sign in to. kAskForward: the subrequest to make.
  std::string login_host;
  ForwardAuthRequest forward;
};

class AuthGate {
 public:
  // The name of the header that carries the bypass token, in lower case.
  static constexpr absl::string_view kBypassHeader = "x-prevu-bypass";

  // `noindex` adds "X-Robots-Tag: noindex" to every reply the gate makes. `clock` must outlive
  // the gate; `registry` may be null, otherwise the gate's counters are registered in it.
  // Settings a mode needs but lacks make that mode refuse every request (fail closed, 503);
  // ValidateAuthSettings reports them before the proxy starts.
  AuthGate(AuthSettings settings, bool noindex, const base::Clock* clock,
           base::MetricsRegistry* registry);

  // True when no request on a route with `route_auth` can need anything from the gate: the
  // mode is none and no bypass token is configured (so there is no header to strip). Lets the
  // connection skip Check() entirely. Thread-safe.
  bool Trivial(RouteAuth route_auth) const {
    return route_auth == RouteAuth::kDefault ? trivial_default_
                                             : !has_bypass_token_ && route_auth == RouteAuth::kNone;
  }

  // Decides what happens to `request`. Allocates nothing when the request passes without an
  // edit in mode none. Thread-safe.
  AuthDecision Check(const AuthRequest& request);

  // Completes a kReadLoginForm decision with the form `body`: a redirect with the session cookie
  // to the form's `next` path on the right password, the form again with a 401 otherwise.
  // Thread-safe.
  AuthReply Login(const AuthDecision& decision, absl::string_view body, bool https);

  // Completes a kAskForward decision: makes the subrequest with `client` (on the caller's
  // thread, which must run the client's io_context) and returns a kPass decision carrying the
  // configured answer fields, or a kReply with the auth service's answer, or a 503 when it could
  // not be asked in time. `head_method` drops the reply body.
  asio::awaitable<AuthDecision> AskForward(AuthDecision decision, ForwardAuthClient& client,
                                           bool head_method);

  // The decision for an answer of the auth service (the second half of AskForward).
  AuthDecision OnForwardAnswer(AuthDecision decision, const ForwardAnswer& answer,
                               bool head_method);

  const AuthSettings& settings() const { return settings_; }
  // The parsed forward_url; null when it is not set or invalid.
  const ForwardTarget* forward_target() const { return forward_target_.get(); }
  // The options of a ForwardAuthClient for these settings.
  ForwardAuthClient::Options forward_options() const;

  // Counters, for tests and /metrics.
  enum Count {
    kLogins,         // right passwords
    kLoginFailures,  // wrong passwords
    kRateLimited,    // login attempts answered 429
    kBypassed,       // requests let through by the bypass token
    kRefused,        // requests without a valid cookie or token, and forward-auth denials
    kForwardErrors,  // forward auth unreachable, too slow or invalid: answered 503
    kMisconfigured,  // requests on a route whose mode lacks its settings: answered 503
    kCountKinds,
  };
  uint64_t count(Count kind) const { return counters_[kind]->value(); }

 private:
  AuthDecision CheckPassword(const AuthRequest& request, absl::string_view host, UpstreamEdit edit);
  AuthDecision LoginPage(const AuthRequest& request, absl::string_view host);
  AuthDecision Reply(AuthReply reply);
  bool PasswordMatches(absl::string_view password) const;
  bool TokenMatches(absl::string_view token) const;
  std::string LimiterKey(const AuthRequest& request) const;
  ForwardAuthRequest MakeForwardRequest(const AuthRequest& request) const;
  bool Ready(AuthMode mode) const;

  const AuthSettings settings_;
  const bool noindex_;
  const bool has_bypass_token_;
  const bool trivial_default_;
  std::unique_ptr<const ForwardTarget> forward_target_;
  std::vector<std::string> forward_fields_;  // forward_response_headers in lower case
  std::array<unsigned char, 32> password_digest_{};
  std::array<unsigned char, 32> token_digest_{};
  SessionCookie cookie_;
  LoginLimiter limiter_;

  std::array<base::Counter, kCountKinds> own_counters_;  // when there is no registry
  std::array<base::Counter*, kCountKinds> counters_{};
};

}  // namespace prevu::proxy

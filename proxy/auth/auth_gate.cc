// Access control in front of preview hosts; see auth_gate.h.
#include "proxy/auth/auth_gate.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "controller/base/log.h"
#include "proxy/auth/auth_pages.h"
#include "proxy/auth/form_encoding.h"
#include "proxy/route_table.h"

namespace prevu::proxy {
namespace {

constexpr absl::string_view kLoginPath = "/.prevu/login";
constexpr absl::string_view kLogoutPath = "/.prevu/logout";
// Login attempts are remembered for this many client addresses at most.
constexpr size_t kLimiterAddresses = 4096;

struct CounterSpec {
  const char* name;
  const char* help;
  const char* labels;
};

// In the order of AuthGate::Count.
constexpr CounterSpec kCounterSpecs[] = {
    {"prevu_proxy_auth_logins_total", "Login attempts at /.prevu/login, by result.",
     "result=\"ok\""},
    {"prevu_proxy_auth_logins_total", "Login attempts at /.prevu/login, by result.",
     "result=\"wrong_password\""},
    {"prevu_proxy_auth_logins_total", "Login attempts at /.prevu/login, by result.",
     "result=\"rate_limited\""},
    {"prevu_proxy_auth_bypassed_total", "Requests let through by the X-Prevu-Bypass token.", ""},
    {"prevu_proxy_auth_refused_total",
     "Requests on protected previews refused for want of a valid cookie, token or forward-auth "
     "approval.",
     ""},
    {"prevu_proxy_auth_forward_errors_total",
     "Forward-auth subrequests that failed (unreachable, too slow, invalid): answered 503.", ""},
    {"prevu_proxy_auth_misconfigured_total",
     "Requests on previews whose auth mode lacks its settings: answered 503.", ""},
};
static_assert(sizeof(kCounterSpecs) / sizeof(kCounterSpecs[0]) == AuthGate::kCountKinds);

std::array<unsigned char, 32> Sha256(absl::string_view text) {
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return digest;
}

bool DigestMatches(absl::string_view text, const std::array<unsigned char, 32>& expected) {
  std::array<unsigned char, 32> digest = Sha256(text);
  return CRYPTO_memcmp(digest.data(), expected.data(), digest.size()) == 0;
}

absl::string_view PathOf(absl::string_view target) { return target.substr(0, target.find('?')); }

bool IsReadMethod(const HttpHead& head) {
  return head.method() == "GET" || head.method() == "HEAD";
}

// The value of the first field called `name` (given in lower case), and whether there is one.
bool FindField(const HttpHead& head, absl::string_view name, absl::string_view* value) {
  for (const HeaderField& field : head.fields()) {
    if (field.name.size() == name.size() && absl::EqualsIgnoreCase(field.name, name)) {
      *value = field.value;
      return true;
    }
  }
  return false;
}

// Hop-by-hop fields, framing, and fields the Connection field of the answer nominates: none of
// them describes the answer itself, so none is relayed (RFC 9110 §7.6.1).
bool IsRelayable(const ForwardAnswer& answer, absl::string_view name) {
  if (IsHopByHop(name) || absl::EqualsIgnoreCase(name, "content-length")) {
    return false;
  }
  for (const auto& [field, value] : answer.fields) {
    if (!absl::EqualsIgnoreCase(field, "connection")) {
      continue;
    }
    for (absl::string_view option : absl::StrSplit(value, ',')) {
      if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(option), name)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

void UpstreamEdit::ApplyTo(std::string* head) const {
  absl::string_view rest = *head;
  size_t line_end = rest.find("\r\n");
  if (line_end == absl::string_view::npos) {
    return;
  }
  std::string out(rest.substr(0, line_end + 2));
  rest.remove_prefix(line_end + 2);
  while (!rest.empty() && !absl::StartsWith(rest, "\r\n")) {
    line_end = rest.find("\r\n");
    absl::string_view line =
        rest.substr(0, line_end == absl::string_view::npos ? rest.size() : line_end + 2);
    rest.remove_prefix(line.size());
    absl::string_view name = line.substr(0, line.find(':'));
    bool drop = false;
    for (const std::string& removed : remove) {
      drop = drop || absl::EqualsIgnoreCase(name, removed);
    }
    if (!drop) {
      out.append(line.data(), line.size());
    }
  }
  for (const auto& [name, value] : add) {
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  out.append("\r\n");
  head->swap(out);
}

AuthGate::AuthGate(AuthSettings settings, bool noindex, const base::Clock* clock,
                   base::MetricsRegistry* registry)
    : settings_(std::move(settings)),
      noindex_(noindex),
      has_bypass_token_(!settings_.bypass_token.empty()),
      trivial_default_(!has_bypass_token_ && settings_.mode == AuthMode::kNone),
      cookie_(settings_.cookie_key, settings_.cookie_ttl, clock),
      limiter_(settings_.login_attempts, settings_.login_window, kLimiterAddresses, clock) {
  if (!settings_.forward_url.empty()) {
    absl::StatusOr<ForwardTarget> target = ParseForwardUrl(settings_.forward_url);
    if (target.ok()) {
      forward_target_ = std::make_unique<const ForwardTarget>(*std::move(target));
    }
  }
  for (const std::string& name : settings_.forward_response_headers) {
    forward_fields_.push_back(absl::AsciiStrToLower(name));
  }
  // Only when set (both are used only then): the first digest initialises OpenSSL, which costs a
  // proxy without access control about 2.5 MB of resident memory for nothing.
  if (!settings_.password.empty()) {
    password_digest_ = Sha256(settings_.password);
  }
  if (has_bypass_token_) {
    token_digest_ = Sha256(settings_.bypass_token);
  }

  for (int i = 0; i < kCountKinds; ++i) {
    const CounterSpec& spec = kCounterSpecs[i];
    counters_[i] = registry != nullptr ? registry->AddCounter(spec.name, spec.help, spec.labels)
                                       : &own_counters_[i];
  }
}

ForwardAuthClient::Options AuthGate::forward_options() const {
  ForwardAuthClient::Options options;
  options.timeout = settings_.forward_timeout;
  options.max_body_bytes = settings_.max_forward_body_bytes;
  options.ca_file = settings_.forward_ca_file;
  return options;
}

bool AuthGate::Ready(AuthMode mode) const {
  switch (mode) {
    case AuthMode::kNone:
      return true;
    case AuthMode::kPassword:
      return !settings_.password.empty() && !settings_.cookie_key.empty();
    case AuthMode::kForward:
      return forward_target_ != nullptr;
    case AuthMode::kBypassToken:
      return has_bypass_token_;
  }
  return false;
}

bool AuthGate::PasswordMatches(absl::string_view password) const {
  return !settings_.password.empty() && DigestMatches(password, password_digest_);
}

// Both sides are hashed first, so the comparison takes the same time whatever the lengths.
bool AuthGate::TokenMatches(absl::string_view token) const {
  return has_bypass_token_ && DigestMatches(token, token_digest_);
}

AuthDecision AuthGate::Reply(AuthReply reply) {
  AuthDecision decision;
  decision.kind = AuthDecision::Kind::kReply;
  decision.reply = std::move(reply);
  return decision;
}

AuthDecision AuthGate::Check(const AuthRequest& request) {
  const HttpHead& head = *request.head;
  AuthMode mode = EffectiveMode(request.route_auth, settings_.mode);
  AuthDecision decision;

  // The token never reaches an upstream, whatever the mode: a preview that saw it could use it
  // on every other preview.
  absl::string_view token;
  bool has_token_field =
      (has_bypass_token_ || mode != AuthMode::kNone) && FindField(head, kBypassHeader, &token);
  if (has_token_field) {
    decision.edit.remove.emplace_back(kBypassHeader);
  }
  if (mode == AuthMode::kNone) {
    return decision;
  }
  ReplyStyle style{noindex_, head.is_head_method()};
  if (!Ready(mode)) {
    counters_[kMisconfigured]->Add();
    return Reply(MessageReply(503, "Access control is not configured",
                              "This preview is protected, but the proxy lacks the settings of its "
                              "auth mode. Ask the operator to check the [auth] section.",
                              "", style));
  }
  // A client must not pose as the user the auth service names.
  if (mode == AuthMode::kForward) {
    for (const std::string& name : forward_fields_) {
      decision.edit.remove.push_back(name);
    }
  }
  if (has_token_field && TokenMatches(token)) {
    counters_[kBypassed]->Add();
    return decision;
  }

  switch (mode) {
    case AuthMode::kPassword: {
      char buffer[256];
      absl::string_view host = NormalizeHost(head.host(), buffer, sizeof(buffer));
      return CheckPassword(request, host, std::move(decision.edit));
    }
    case AuthMode::kForward:
      decision.kind = AuthDecision::Kind::kAskForward;
      decision.forward = MakeForwardRequest(request);
      return decision;
    default:
      counters_[kRefused]->Add();
      return Reply(MessageReply(401, "This preview is private",
                                "Requests to it need the X-Prevu-Bypass header with the token "
                                "the operator gave you.",
                                "", style));
  }
}

AuthDecision AuthGate::CheckPassword(const AuthRequest& request, absl::string_view host,
                                     UpstreamEdit edit) {
  const HttpHead& head = *request.head;
  ReplyStyle style{noindex_, head.is_head_method()};
  absl::string_view path = PathOf(head.target());
  if (path == kLoginPath) {
    return LoginPage(request, host);
  }
  if (path == kLogoutPath) {
    return Reply(RedirectReply(303, kLoginPath, SessionCookie::Clear(request.https), style));
  }

  for (const HeaderField& field : head.fields()) {
    if (absl::EqualsIgnoreCase(field.name, "cookie") &&
        cookie_.Verify(field.value, host, AuthMode::kPassword)) {
      AuthDecision decision;
      decision.edit = std::move(edit);
      return decision;
    }
  }

  // A browser that follows the redirect comes back here after signing in; other methods cannot
  // be replayed by a redirect, so they are refused.
  counters_[kRefused]->Add();
  if (IsReadMethod(head)) {
    std::string location = absl::StrCat(kLoginPath, "?next=", PercentEncode(head.target()));
    return Reply(RedirectReply(302, location, "", style));
  }
  return Reply(MessageReply(401, "Sign in first",
                            "This preview is protected by a password. <a href=\"/.prevu/login\">"
                            "Sign in</a>, then try again.",
                            "", style));
}

AuthDecision AuthGate::LoginPage(const AuthRequest& request, absl::string_view host) {
  const HttpHead& head = *request.head;
  ReplyStyle style{noindex_, head.is_head_method()};
  if (IsReadMethod(head)) {
    std::string next;
    if (!FindFormField(QueryOf(head.target()), "next", &next) || !IsLocalTarget(next)) {
      next = "/";
    }
    return Reply(LoginFormReply(200, next, "", style));
  }
  if (head.method() != "POST") {
    return Reply(MessageReply(405, "Method not allowed", "Sign in with the form.",
                              "Allow: GET, HEAD, POST\r\n", style));
  }

  int64_t retry_after = 0;
  if (!limiter_.Allow(LimiterKey(request), &retry_after)) {
    counters_[kRateLimited]->Add();
    return Reply(MessageReply(429, "Too many attempts",
                              "Too many sign-in attempts from your address. Wait a minute, then "
                              "try again.",
                              absl::StrCat("Retry-After: ", retry_after, "\r\n"), style));
  }
  if (head.chunked() || head.content_length() < 0) {
    return Reply(
        MessageReply(411, "Length required", "Send the form with a Content-Length.", "", style));
  }
  if (static_cast<uint64_t>(head.content_length()) > settings_.max_form_bytes) {
    return Reply(
        MessageReply(413, "Form too large", "The sign-in form is larger than allowed.", "", style));
  }
  absl::string_view type;
  if (!FindField(head, "content-type", &type) ||
      !absl::StartsWithIgnoreCase(type, "application/x-www-form-urlencoded")) {
    return Reply(MessageReply(415, "Unsupported form",
                              "Send the form as application/x-www-form-urlencoded.", "", style));
  }

  AuthDecision decision;
  decision.kind = AuthDecision::Kind::kReadLoginForm;
  decision.login_host = std::string(host);
  return decision;
}

AuthReply AuthGate::Login(const AuthDecision& decision, absl::string_view body, bool https) {
  ReplyStyle style{noindex_, false};
  std::string password;
  std::string next;
  FindFormField(body, "password", &password);
  if (!FindFormField(body, "next", &next) || !IsLocalTarget(next)) {
    next = "/";
  }
  if (!PasswordMatches(password)) {
    counters_[kLoginFailures]->Add();
    return LoginFormReply(401, next, "Wrong password. Try again.", style);
  }
  counters_[kLogins]->Add();
  log::Info("preview login").With("host", decision.login_host);
  return RedirectReply(303, next, cookie_.Issue(decision.login_host, AuthMode::kPassword, https),
                       style);
}

// Behind a trusted proxy every client shares its address; the last X-Forwarded-For entry is the
// one that proxy wrote, so it names the real client.
std::string AuthGate::LimiterKey(const AuthRequest& request) const {
  if (request.trusted_peer) {
    absl::string_view chain;
    for (const HeaderField& field : request.head->fields()) {
      if (absl::EqualsIgnoreCase(field.name, "x-forwarded-for")) {
        chain = field.value;
      }
    }
    absl::string_view last = absl::StripAsciiWhitespace(chain.substr(chain.rfind(',') + 1));
    if (!last.empty()) {
      return std::string(last);
    }
  }
  return std::string(request.client_address);
}

ForwardAuthRequest AuthGate::MakeForwardRequest(const AuthRequest& request) const {
  const HttpHead& head = *request.head;
  ForwardAuthRequest forward;
  forward.method = std::string(head.method());
  forward.proto = request.https ? "https" : "http";
  forward.host = std::string(head.host());
  forward.uri = std::string(head.target());
  for (const HeaderField& field : head.fields()) {
    if (absl::EqualsIgnoreCase(field.name, "cookie")) {
      absl::StrAppend(&forward.cookie, forward.cookie.empty() ? "" : "; ", field.value);
    } else if (absl::EqualsIgnoreCase(field.name, "authorization") &&
               forward.authorization.empty()) {
      forward.authorization = std::string(field.value);
    } else if (request.trusted_peer && absl::EqualsIgnoreCase(field.name, "x-forwarded-for")) {
      absl::StrAppend(&forward.forwarded_for, field.value, ", ");
    }
  }
  absl::StrAppend(&forward.forwarded_for, request.client_address);
  return forward;
}

asio::awaitable<AuthDecision> AuthGate::AskForward(AuthDecision decision, ForwardAuthClient& client,
                                                   bool head_method) {
  ForwardAnswer answer = co_await client.Ask(decision.forward);
  co_return OnForwardAnswer(std::move(decision), answer, head_method);
}

AuthDecision AuthGate::OnForwardAnswer(AuthDecision decision, const ForwardAnswer& answer,
                                       bool head_method) {
  ReplyStyle style{noindex_, head_method};
  if (answer.outcome != ForwardAnswer::Outcome::kAnswered) {
    counters_[kForwardErrors]->Add();
    log::Debug("forward auth failed").With("outcome", static_cast<int>(answer.outcome));
    return Reply(MessageReply(503, "Sign-in service unavailable",
                              "The service that checks access to this preview did not answer. "
                              "Try again in a moment.",
                              "Retry-After: 5\r\n", style));
  }

  if (answer.status >= 200 && answer.status < 300) {
    decision.kind = AuthDecision::Kind::kPass;
    for (const auto& [name, value] : answer.fields) {
      for (const std::string& wanted : forward_fields_) {
        if (absl::EqualsIgnoreCase(name, wanted)) {
          decision.edit.add.emplace_back(name, value);
        }
      }
    }
    return decision;
  }

  // Anything else goes back to the client as the service wrote it: a redirect to its login page,
  // a 401 with WWW-Authenticate, a 403.
  counters_[kRefused]->Add();
  AuthReply reply;
  reply.status = answer.status;
  absl::string_view reason = answer.reason.empty() ? ReasonPhrase(answer.status) : answer.reason;
  reply.head = absl::StrCat("HTTP/1.1 ", answer.status, " ", reason, "\r\n");
  bool robots = false;
  for (const auto& [name, value] : answer.fields) {
    if (IsRelayable(answer, name)) {
      absl::StrAppend(&reply.head, name, ": ", value, "\r\n");
      robots = robots || absl::EqualsIgnoreCase(name, "x-robots-tag");
    }
  }
  absl::StrAppend(&reply.head, "Content-Length: ", answer.body.size(), "\r\n");
  if (noindex_ && !robots) {
    reply.head.append("X-Robots-Tag: noindex\r\n");
  }
  if (!head_method) {
    reply.body = answer.body;
  }
  return Reply(std::move(reply));
}

}  // namespace prevu::proxy

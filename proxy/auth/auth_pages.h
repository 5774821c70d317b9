// The responses access control writes itself: the login form, redirects, and the short pages of
// 401, 405, 411, 413, 415, 429 and 503. Each is a complete AuthReply; every one carries
// Cache-Control: no-store (a proxy must not keep a page meant for one visitor) and, when asked,
// X-Robots-Tag: noindex.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "proxy/auth/auth_gate.h"

namespace prevu::proxy {

// Options common to every reply.
struct ReplyStyle {
  bool noindex = true;
  bool head_method = false;  // HEAD: the same head, no body
};

// The login form (self-contained HTML, usable on a phone) with `status`, posting to
// /.prevu/login and carrying `next` (already checked to be local) in a hidden field. `message`
// (plain text, may be empty) is shown above the form.
AuthReply LoginFormReply(int status, absl::string_view next, absl::string_view message,
                         const ReplyStyle& style);

// A redirect with `status` (302 or 303) to `location`; `set_cookie` (may be empty) is sent as
// Set-Cookie.
AuthReply RedirectReply(int status, absl::string_view location, absl::string_view set_cookie,
                        const ReplyStyle& style);

// A short HTML page with `status`, a title and a sentence. `extra_fields` (complete lines, each
// ending in CRLF; may be empty) is added to the head, such as "Retry-After: 30\r\n".
AuthReply MessageReply(int status, absl::string_view title, absl::string_view message,
                       absl::string_view extra_fields, const ReplyStyle& style);

// The reason phrase the proxy writes for `status` ("Unauthorized"), or "Status" when unknown.
absl::string_view ReasonPhrase(int status);

}  // namespace prevu::proxy

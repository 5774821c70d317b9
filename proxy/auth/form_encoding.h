// The small encodings the login flow needs: reading a field of an
// application/x-www-form-urlencoded body or query (WHATWG URL standard, section 5.1),
// percent-encoding a target for `next=`, escaping text for HTML, and checking that a redirect
// target stays on the same host.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace prevu::proxy {

// Finds the first field called `name` in `form` ("a=1&b=two+words") and writes its decoded value
// (`+` is a space, %XX a byte) to `*value`. A malformed %-sequence is kept as it is, as the
// standard says. Returns false when there is no such field.
bool FindFormField(absl::string_view form, absl::string_view name, std::string* value);

// The query of a request target ("/a?b=c" gives "b=c"), or "" when there is none.
absl::string_view QueryOf(absl::string_view target);

// Percent-encodes every byte except unreserved characters (RFC 3986 §2.3) and "/", so a path
// stays readable inside a query parameter.
std::string PercentEncode(absl::string_view text);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string HtmlEscape(absl::string_view text);

// True when `target` is a path on the same host: it starts with "/", its second character is
// neither "/" nor "\" (browsers read both as the start of another host), and it holds no control
// character or space. Anything else must not be followed after a login.
bool IsLocalTarget(absl::string_view target);

}  // namespace prevu::proxy

// The replies of access control; see auth_pages.h.
#include "proxy/auth/auth_pages.h"

#include "absl/strings/str_cat.h"
#include "proxy/auth/form_encoding.h"

namespace prevu::proxy {
namespace {

// The login page loads nothing from anywhere, may not be framed (clickjacking) and posts only to
// its own host.
constexpr absl::string_view kLoginPolicy =
    "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'\r\n"
    "Referrer-Policy: no-referrer\r\n";

constexpr absl::string_view kStyle =
    "body{font-family:system-ui,sans-serif;margin:0;min-height:100vh;display:flex;"
    "align-items:center;justify-content:center;background:#f4f5f7;color:#1d2330}"
    "main{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 2px 12px #0002;"
    "width:min(22rem,88vw)}"
    "h1{font-size:1.3rem;margin:0 0 1rem}"
    "input,button{box-sizing:border-box;width:100%;font-size:1rem;padding:.7rem;"
    "border-radius:8px;border:1px solid #bbc}"
    "button{margin-top:.8rem;background:#2458d6;color:#fff;border:0}"
    ".error{color:#b3261e}";

AuthReply Build(int status, absl::string_view fields, absl::string_view body,
                const ReplyStyle& style) {
  AuthReply reply;
  reply.status = status;
  reply.head =
      absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status),
                   "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ", body.size(),
                   "\r\nCache-Control: no-store\r\n", fields);
  if (style.noindex) {
    reply.head.append("X-Robots-Tag: noindex\r\n");
  }
  if (!style.head_method) {
    reply.body = std::string(body);
  }
  return reply;
}

std::string Page(absl::string_view title, absl::string_view content) {
  return absl::StrCat(
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<meta name=\"robots\" content=\"noindex\"><title>",
      title, "</title><style>", kStyle, "</style></head><body><main><h1>", title, "</h1>", content,
      "</main></body></html>\n");
}

}  // namespace

absl::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 405:
      return "Method Not Allowed";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

AuthReply LoginFormReply(int status, absl::string_view next, absl::string_view message,
                         const ReplyStyle& style) {
  std::string error = message.empty() ? ""
                                      : absl::StrCat("<p class=\"error\" role=\"alert\">",
                                                     HtmlEscape(message), "</p>");
  std::string content =
      absl::StrCat(error,
                   "<form method=\"post\" action=\"/.prevu/login\">"
                   "<input type=\"hidden\" name=\"next\" value=\"",
                   HtmlEscape(next),
                   "\"><label for=\"password\">Password</label>"
                   "<input id=\"password\" type=\"password\" name=\"password\" "
                   "autocomplete=\"current-password\" "
                   "required autofocus><button type=\"submit\">Sign in</button></form>");
  return Build(status, kLoginPolicy, Page("Sign in to this preview", content), style);
}

AuthReply RedirectReply(int status, absl::string_view location, absl::string_view set_cookie,
                        const ReplyStyle& style) {
  std::string fields = absl::StrCat("Location: ", location, "\r\n");
  if (!set_cookie.empty()) {
    absl::StrAppend(&fields, "Set-Cookie: ", set_cookie, "\r\n");
  }
  return Build(status, fields, "", style);
}

AuthReply MessageReply(int status, absl::string_view title, absl::string_view message,
                       absl::string_view extra_fields, const ReplyStyle& style) {
  return Build(status, extra_fields, Page(title, absl::StrCat("<p>", message, "</p>")), style);
}

}  // namespace prevu::proxy

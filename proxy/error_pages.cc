// The proxy's own responses; see error_pages.h.
#include "proxy/error_pages.h"

#include "absl/strings/str_cat.h"

namespace prevu::proxy {
namespace {

struct PageText {
  const char* reason;
  const char* title;
  const char* message;
};

PageText TextFor(int status) {
  switch (status) {
    case 400:
      return {"Bad Request", "Bad request", "The request is not valid HTTP/1.1."};
    case 404:
      return {"Not Found", "No preview here",
              "No preview is served at this address. Check the link in the pull request."};
    case 408:
      return {"Request Timeout", "Request timeout", "The request head took too long to arrive."};
    case 413:
      return {"Content Too Large", "Request body too large",
              "The request body is larger than this preview accepts."};
    case 414:
      return {"URI Too Long", "Address too long", "The request line is longer than allowed."};
    case 417:
      return {"Expectation Failed", "Expectation failed",
              "Only the expectation 100-continue is supported."};
    case 431:
      return {"Request Header Fields Too Large", "Headers too large",
              "The request headers are larger than allowed."};
    case 501:
      return {"Not Implemented", "Not implemented",
              "The proxy does not support this method or transfer coding."};
    case 502:
      return {"Bad Gateway", "Preview not reachable",
              "The preview did not accept the connection or answered with an invalid response."};
    case 503:
      return {"Service Unavailable", "Preview is being built",
              "This preview is being built or started. This page reloads by itself."};
    case 504:
      return {"Gateway Timeout", "Preview too slow", "The preview did not answer in time."};
    case 505:
      return {"HTTP Version Not Supported", "HTTP version not supported",
              "Only HTTP/1.0 and HTTP/1.1 are supported."};
    default:
      return {"Internal Server Error", "Internal error", "The proxy failed to handle the request."};
  }
}

std::string BuildPage(int status, int retry_after_seconds, bool noindex, bool close) {
  PageText text = TextFor(status);
  // The 503 page refreshes itself, so whoever opened the link sees the preview once it is up.
  std::string refresh = status == 503 ? absl::StrCat("<meta http-equiv=\"refresh\" content=\"",
                                                     retry_after_seconds, "\">")
                                      : "";
  std::string body = absl::StrCat("<!doctype html><html><head><meta charset=\"utf-8\">", refresh,
                                  "<title>", text.title, "</title></head><body><h1>", text.title,
                                  "</h1><p>", text.message, "</p></body></html>\n");
  std::string head =
      absl::StrCat("HTTP/1.1 ", status, " ", text.reason,
                   "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ", body.size(),
                   "\r\nCache-Control: no-store\r\n");
  if (status == 503) {
    absl::StrAppend(&head, "Retry-After: ", retry_after_seconds, "\r\n");
  }
  if (noindex) {
    head.append("X-Robots-Tag: noindex\r\n");
  }
  if (close) {
    head.append("Connection: close\r\n");
  }
  return absl::StrCat(head, "\r\n", body);
}

}  // namespace

ErrorPages::ErrorPages(int retry_after_seconds, bool noindex) {
  for (size_t i = 0; i < kStatuses.size(); ++i) {
    keep_alive_[i] = BuildPage(kStatuses[i], retry_after_seconds, noindex, false);
    close_[i] = BuildPage(kStatuses[i], retry_after_seconds, noindex, true);
  }
}

size_t ErrorPages::Index(int status) {
  size_t fallback = 0;
  for (size_t i = 0; i < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) {
      return i;
    }
    if (kStatuses[i] == 500) {
      fallback = i;
    }
  }
  return fallback;
}

absl::string_view ErrorPages::Get(int status, bool close) const {
  size_t i = Index(status);
  return close ? close_[i] : keep_alive_[i];
}

}  // namespace prevu::proxy

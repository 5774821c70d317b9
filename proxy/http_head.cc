// The strict HTTP/1.1 head parser; see http_head.h. Every rule cites RFC 9112 (message syntax)
// or RFC 9110 (semantics).
#include "proxy/http_head.h"

#include <array>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace prevu::proxy {
namespace {

// Character classes as 256-entry tables, built at compile time.
enum CharClass : uint8_t {
  kToken = 1,       // tchar (RFC 9110 §5.6.2)
  kTarget = 2,      // pchar, "/" and "?" (RFC 3986 §3.3, §3.4), plus "%"
  kFieldValue = 4,  // VCHAR, obs-text, SP, HTAB (RFC 9110 §5.5)
  kHost = 8,        // reg-name, IP literal brackets and ":" for the port (RFC 3986 §3.2.2)
};

constexpr std::array<uint8_t, 256> MakeClasses() {
  std::array<uint8_t, 256> table{};
  for (int c = 0; c < 256; ++c) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool digit = c >= '0' && c <= '9';
    bool unreserved = alpha || digit || c == '-' || c == '.' || c == '_' || c == '~';
    bool sub_delim = c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' ||
                     c == '*' || c == '+' || c == ',' || c == ';' || c == '=';
    uint8_t bits = 0;
    if (alpha || digit || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' ||
        c == '*' || c == '+' || c == '-' || c == '.' || c == '^' || c == '_' || c == '`' ||
        c == '|' || c == '~') {
      bits |= kToken;
    }
    if (unreserved || sub_delim || c == ':' || c == '@' || c == '/' || c == '?' || c == '%') {
      bits |= kTarget;
    }
    if ((c >= 0x21 && c <= 0x7e) || c >= 0x80 || c == ' ' || c == '\t') {
      bits |= kFieldValue;
    }
    if (unreserved || sub_delim || c == '%' || c == ':' || c == '[' || c == ']') {
      bits |= kHost;
    }
    table[c] = bits;
  }
  return table;
}

constexpr std::array<uint8_t, 256> kClasses = MakeClasses();

bool AllOf(absl::string_view s, CharClass cls) {
  for (char c : s) {
    if ((kClasses[static_cast<unsigned char>(c)] & cls) == 0) {
      return false;
    }
  }
  return true;
}

absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits a comma-separated list field (RFC 9110 §5.6.1), calling `fn` on each non-empty element;
// stops early when `fn` returns false.
template <typename Fn>
bool ForEachElement(absl::string_view value, Fn fn) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    absl::string_view element = TrimOws(value.substr(0, comma));
    if (!element.empty() && !fn(element)) {
      return false;
    }
    if (comma == absl::string_view::npos) {
      break;
    }
    value.remove_prefix(comma + 1);
  }
  return true;
}

bool ValidPercentEncoding(absl::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      continue;
    }
    if (i + 2 >= s.size()) {
      return false;
    }
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      return false;
    }
    i += 2;
  }
  return true;
}

// Host field value: uri-host [ ":" port ] (RFC 9110 §7.2).
bool ValidHost(absl::string_view host) {
  if (host.empty() || !AllOf(host, kHost)) {
    return false;
  }
  size_t port_colon = absl::string_view::npos;
  if (host.front() == '[') {
    size_t close = host.find(']');
    if (close == absl::string_view::npos || close == 1) {
      return false;
    }
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') {
        return false;
      }
      port_colon = close + 1;
    }
  } else {
    if (host.find_first_of("[]") != absl::string_view::npos) {
      return false;
    }
    port_colon = host.find(':');
    if (port_colon == 0) {
      return false;
    }
  }
  if (port_colon != absl::string_view::npos) {
    for (char c : host.substr(port_colon + 1)) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

bool IsHopByHop(absl::string_view name) {
  switch (name.size()) {
    case 2:
      return absl::EqualsIgnoreCase(name, "te");
    case 7:
      return absl::EqualsIgnoreCase(name, "trailer") || absl::EqualsIgnoreCase(name, "upgrade");
    case 10:
      return absl::EqualsIgnoreCase(name, "connection") ||
             absl::EqualsIgnoreCase(name, "keep-alive");
    case 16:
      return absl::EqualsIgnoreCase(name, "proxy-connection");
    case 17:
      return absl::EqualsIgnoreCase(name, "transfer-encoding");
    default:
      return false;
  }
}

HttpHead::Scan HttpHead::FindEnd(absl::string_view data, size_t* scanned, size_t* head_size) {
  size_t pos = *scanned;
  while (pos < data.size()) {
    const void* found = std::memchr(data.data() + pos, '\n', data.size() - pos);
    if (found == nullptr) {
      *scanned = data.size();
      return Scan::kIncomplete;
    }
    size_t lf = static_cast<const char*>(found) - data.data();
    if (lf == 0 || data[lf - 1] != '\r') {
      return Scan::kInvalid;
    }
    if (lf >= 3 && data[lf - 2] == '\n') {
      *head_size = lf + 1;
      return Scan::kComplete;
    }
    pos = lf + 1;
  }
  *scanned = pos;
  return Scan::kIncomplete;
}

HttpHead::HttpHead(int max_fields) : max_fields_(max_fields) {
  fields_.reserve(max_fields);
  connection_options_.reserve(16);
}

void HttpHead::Reset() {
  method_ = target_ = host_ = authority_ = reason_ = upgrade_ = absl::string_view();
  host_count_ = 0;
  status_ = 0;
  version_minor_ = 1;
  fields_.clear();
  content_length_ = -1;
  transfer_encoding_ = chunked_ = chunked_last_ = other_coding_ = close_delimited_ = false;
  chunked_count_ = 0;
  connection_close_ = connection_keep_alive_ = connection_upgrade_ = false;
  connection_options_.clear();
  expect_continue_ = false;
  error_status_ = 0;
  error_reason_ = "";
}

bool HttpHead::Fail(int status, const char* reason) {
  error_status_ = status;
  error_reason_ = reason;
  return false;
}

bool HttpHead::keep_alive() const {
  if (connection_close_) {
    return false;
  }
  return version_minor_ >= 1 || connection_keep_alive_;
}

bool HttpHead::ParseRequest(absl::string_view head) {
  Reset();
  size_t line_end = head.find("\r\n");
  if (!ParseRequestLine(head.substr(0, line_end))) {
    return false;
  }
  if (!ParseFields(head.substr(line_end + 2), /*request=*/true)) {
    return false;
  }
  return CheckRequestFraming();
}

bool HttpHead::ParseResponse(absl::string_view head) {
  Reset();
  size_t line_end = head.find("\r\n");
  if (!ParseStatusLine(head.substr(0, line_end)) ||
      !ParseFields(head.substr(line_end + 2), /*request=*/false)) {
    return false;
  }

  // Message body length of a response, RFC 9112 §6.3: a final coding other than chunked, or
  // neither length nor chunked, means the body ends when the connection closes.
  if (transfer_encoding_) {
    // Both present: Transfer-Encoding wins and the connection is not reused (RFC 9112 §6.3).
    connection_close_ = connection_close_ || content_length_ >= 0;
    content_length_ = -1;
    chunked_ = chunked_last_ && !other_coding_;
    close_delimited_ = !chunked_;
  } else {
    close_delimited_ = content_length_ < 0;
  }
  return true;
}

// request-line = method SP request-target SP HTTP-version (RFC 9112 §3).
bool HttpHead::ParseRequestLine(absl::string_view line) {
  size_t sp1 = line.find(' ');
  if (sp1 == absl::string_view::npos || sp1 == 0) {
    return Fail(400, "invalid request line");
  }
  method_ = line.substr(0, sp1);
  if (!AllOf(method_, kToken)) {
    return Fail(400, "invalid method");
  }

  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == absl::string_view::npos || sp2 == sp1 + 1) {
    return Fail(400, "invalid request line");
  }
  absl::string_view version = line.substr(sp2 + 1);
  if (version == "HTTP/1.1") {
    version_minor_ = 1;
  } else if (version == "HTTP/1.0") {
    version_minor_ = 0;
  } else if (version.size() == 8 && absl::StartsWith(version, "HTTP/") &&
             absl::ascii_isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.' &&
             absl::ascii_isdigit(static_cast<unsigned char>(version[7]))) {
    return Fail(505, "unsupported HTTP version");
  } else {
    return Fail(400, "invalid HTTP version");
  }

  if (method_ == "CONNECT") {
    return Fail(501, "CONNECT is not supported");
  }
  return ParseTarget(line.substr(sp1 + 1, sp2 - sp1 - 1));
}

// request-target forms, RFC 9112 §3.2: origin, absolute, asterisk (OPTIONS only).
bool HttpHead::ParseTarget(absl::string_view target) {
  if (target == "*") {
    if (method_ != "OPTIONS") {
      return Fail(400, "invalid request target");
    }
    target_ = target;
    return true;
  }

  if (target.front() != '/') {
    absl::string_view rest;
    if (absl::StartsWithIgnoreCase(target, "http://")) {
      rest = target.substr(7);
    } else if (absl::StartsWithIgnoreCase(target, "https://")) {
      rest = target.substr(8);
    } else {
      return Fail(400, "invalid request target");
    }
    size_t path = rest.find_first_of("/?");
    authority_ = rest.substr(0, path);
    if (!ValidHost(authority_) || authority_.find('@') != absl::string_view::npos) {
      return Fail(400, "invalid request target");
    }
    // The origin form of an absolute target is its path and query; an empty path is "/". The
    // query-only case ("http://h?q") cannot be expressed without copying, so it is refused.
    target = path == absl::string_view::npos ? absl::string_view("/") : rest.substr(path);
    if (target.front() != '/') {
      return Fail(400, "invalid request target");
    }
  }

  if (!AllOf(target, kTarget) || !ValidPercentEncoding(target)) {
    return Fail(400, "invalid request target");
  }
  target_ = target;
  return true;
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4).
bool HttpHead::ParseStatusLine(absl::string_view line) {
  if (line.size() < 12 || !absl::StartsWith(line, "HTTP/1.") || line[8] != ' ' ||
      (line[7] != '0' && line[7] != '1')) {
    return Fail(502, "invalid status line");
  }
  version_minor_ = line[7] - '0';

  int status = 0;
  for (int i = 9; i < 12; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(line[i]))) {
      return Fail(502, "invalid status code");
    }
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100 || status > 599 || (line.size() > 12 && line[12] != ' ')) {
    return Fail(502, "invalid status code");
  }
  status_ = status;
  reason_ = line.size() > 13 ? line.substr(13) : absl::string_view();
  if (!AllOf(reason_, kFieldValue)) {
    return Fail(502, "invalid reason phrase");
  }
  return true;
}

bool HttpHead::ParseFields(absl::string_view block, bool request) {
  int bad = request ? 400 : 502;
  while (!block.empty()) {
    size_t end = block.find("\r\n");
    absl::string_view line = block.substr(0, end);
    block.remove_prefix(end == absl::string_view::npos ? block.size() : end + 2);
    if (line.empty()) {
      break;  // the blank line that ends the head
    }

    // A line starting with whitespace continues the previous one: obs-fold, RFC 9112 §5.2.
    if (line.front() == ' ' || line.front() == '\t') {
      return Fail(bad, "obsolete line folding");
    }
    size_t colon = 0;
    while (colon < line.size() && (kClasses[static_cast<unsigned char>(line[colon])] & kToken)) {
      ++colon;
    }
    if (colon == line.size() || line[colon] != ':') {
      bool space = colon < line.size() && (line[colon] == ' ' || line[colon] == '\t');
      // RFC 9112 §5.1: whitespace between name and colon must be rejected with 400.
      return Fail(bad, space ? "whitespace before colon" : "invalid header name");
    }
    if (colon == 0) {
      return Fail(bad, "empty header name");
    }

    absl::string_view value = TrimOws(line.substr(colon + 1));
    if (!AllOf(value, kFieldValue)) {
      return Fail(bad, "control character in header");
    }
    if (static_cast<int>(fields_.size()) >= max_fields_) {
      return Fail(request ? 431 : 502, "too many header fields");
    }
    absl::string_view name = line.substr(0, colon);
    fields_.push_back({name, value});
    if (!NoteField(name, value, request)) {
      return false;
    }
  }
  return true;
}

bool HttpHead::NoteField(absl::string_view name, absl::string_view value, bool request) {
  switch (name.size()) {
    case 4:
      if (request && absl::EqualsIgnoreCase(name, "host")) {
        if (++host_count_ > 1) {
          return Fail(400, "repeated Host");
        }
        if (!ValidHost(value)) {
          return Fail(400, "invalid Host");
        }
        host_ = value;
      }
      return true;
    case 6:
      if (request && absl::EqualsIgnoreCase(name, "expect")) {
        if (!absl::EqualsIgnoreCase(value, "100-continue")) {
          return Fail(417, "unsupported expectation");
        }
        expect_continue_ = true;
      }
      return true;
    case 7:
      if (absl::EqualsIgnoreCase(name, "upgrade")) {
        upgrade_ = value;
      }
      return true;
    case 10:
      if (absl::EqualsIgnoreCase(name, "connection")) {
        NoteConnection(value);
      }
      return true;
    case 14:
      return absl::EqualsIgnoreCase(name, "content-length") ? NoteContentLength(value) : true;
    case 17:
      return absl::EqualsIgnoreCase(name, "transfer-encoding") ? NoteTransferEncoding(value) : true;
    default:
      return true;
  }
}

// Content-Length = 1*DIGIT; a list of identical values may be taken as one (RFC 9110 §8.6),
// anything else is an unrecoverable framing error (RFC 9112 §6.3).
bool HttpHead::NoteContentLength(absl::string_view value) {
  int bad = status_ == 0 ? 400 : 502;
  bool ok = ForEachElement(value, [&](absl::string_view element) {
    if (element.size() > 18) {
      return false;
    }
    int64_t length = 0;
    for (char c : element) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        return false;
      }
      length = length * 10 + (c - '0');
    }
    if (content_length_ >= 0 && content_length_ != length) {
      return false;
    }
    content_length_ = length;
    return true;
  });
  if (!ok || content_length_ < 0) {
    return Fail(bad, "invalid Content-Length");
  }
  return true;
}

bool HttpHead::NoteTransferEncoding(absl::string_view value) {
  transfer_encoding_ = true;
  ForEachElement(value, [&](absl::string_view coding) {
    // Transfer parameters (";q=...") do not apply to chunked; compare the coding name only.
    absl::string_view name = TrimOws(coding.substr(0, coding.find(';')));
    chunked_last_ = absl::EqualsIgnoreCase(name, "chunked");
    if (chunked_last_) {
      ++chunked_count_;
    } else {
      other_coding_ = true;
    }
    return true;
  });
  return true;
}

void HttpHead::NoteConnection(absl::string_view value) {
  ForEachElement(value, [&](absl::string_view option) {
    if (absl::EqualsIgnoreCase(option, "close")) {
      connection_close_ = true;
    } else if (absl::EqualsIgnoreCase(option, "keep-alive")) {
      connection_keep_alive_ = true;
    } else if (absl::EqualsIgnoreCase(option, "upgrade")) {
      connection_upgrade_ = true;
    } else if (connection_options_.size() < connection_options_.capacity()) {
      connection_options_.push_back(option);
    } else {
      connection_close_ = true;  // more options than anyone sends: refuse to keep the connection
    }
    return true;
  });
}

// Request framing, RFC 9112 §6.1 and §6.3.
bool HttpHead::CheckRequestFraming() {
  if (!authority_.empty()) {
    host_ = authority_;  // RFC 9112 §3.2.2: the target's authority overrides Host
  } else if (host_count_ == 0) {
    return Fail(400, "missing Host");
  }

  if (!transfer_encoding_) {
    return true;
  }
  if (version_minor_ == 0) {
    return Fail(400, "Transfer-Encoding in HTTP/1.0");
  }
  if (content_length_ >= 0) {
    return Fail(400, "both Content-Length and Transfer-Encoding");
  }
  if (!chunked_last_ || chunked_count_ > 1) {
    return Fail(400, "Transfer-Encoding does not end in chunked");
  }
  if (other_coding_) {
    return Fail(501, "unsupported transfer coding");
  }
  chunked_ = true;
  return true;
}

}  // namespace prevu::proxy

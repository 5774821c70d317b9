// Fuzzes the proxy's request and response head parser with bytes as a client or an upstream
// would send them: the end of the head must be found the same way however the bytes arrive, and
// whatever parses must describe a message the proxy can frame.
#include <string>

#include "proxy/http_head.h"
#include "tests/fuzz/fuzz_support.h"

namespace prevu::proxy {
namespace {

using fuzz::Within;

// A head that sets nearly every fact, parsed before each input so that facts it leaves behind in
// a reused parser (the proxy reuses one per connection) would show up as differences.
constexpr absl::string_view kBusyHead =
    "POST http://busy.example:81/up?x HTTP/1.1\r\nHost: other\r\nTransfer-Encoding: chunked\r\n"
    "Connection: close, Upgrade, X-Hop\r\nUpgrade: websocket\r\nExpect: 100-continue\r\n\r\n";

// Finds the end of the head as the proxy does, the visible prefix growing a piece at a time.
HttpHead::Scan FindEndInPieces(absl::string_view data, size_t* head_size) {
  size_t scanned = 0;
  size_t visible = 0;
  for (absl::string_view piece : fuzz::Pieces(data)) {
    visible += piece.size();
    HttpHead::Scan scan = HttpHead::FindEnd(data.substr(0, visible), &scanned, head_size);
    if (scan != HttpHead::Scan::kIncomplete) {
      return scan;
    }
    FUZZ_CHECK(scanned <= visible);
  }
  return HttpHead::Scan::kIncomplete;
}

void CheckParsed(const HttpHead& head, absl::string_view text, bool ok, bool request) {
  if (!ok) {
    int status = head.error_status();
    FUZZ_CHECK(!request || status == 400 || status == 417 || status == 431 || status == 501 ||
               status == 505);
    FUZZ_CHECK(!head.error_reason().empty());
    return;
  }
  FUZZ_CHECK(head.fields().size() <= 100);
  for (const HeaderField& field : head.fields()) {
    FUZZ_CHECK(!field.name.empty() && Within(field.name, text) && Within(field.value, text));
    IsHopByHop(field.name);
  }
  for (absl::string_view option : head.connection_options()) {
    FUZZ_CHECK(Within(option, text));
  }
  FUZZ_CHECK(head.version_minor() == 0 || head.version_minor() == 1);
  FUZZ_CHECK(head.content_length() >= -1);
  head.keep_alive();
  if (request) {
    // A request framed two ways is request smuggling (RFC 9112 §6.1); it must not parse.
    FUZZ_CHECK(!(head.chunked() && head.content_length() >= 0));
    FUZZ_CHECK(!head.method().empty() && Within(head.method(), text));
    FUZZ_CHECK(!head.target().empty());
  } else {
    FUZZ_CHECK(head.status() >= 100 && head.status() <= 999 && Within(head.reason(), text));
  }
}

// The facts a reused parser and a fresh one must agree on.
bool SameFacts(const HttpHead& a, const HttpHead& b) {
  return a.method() == b.method() && a.target() == b.target() && a.host() == b.host() &&
         a.status() == b.status() && a.version_minor() == b.version_minor() &&
         a.fields().size() == b.fields().size() && a.content_length() == b.content_length() &&
         a.chunked() == b.chunked() && a.close_delimited() == b.close_delimited() &&
         a.connection_close() == b.connection_close() &&
         a.connection_keep_alive() == b.connection_keep_alive() &&
         a.connection_upgrade() == b.connection_upgrade() &&
         a.connection_options() == b.connection_options() && a.upgrade() == b.upgrade() &&
         a.expect_continue() == b.expect_continue() && a.keep_alive() == b.keep_alive() &&
         a.error_status() == b.error_status();
}

void ParseBoth(absl::string_view text, bool request) {
  HttpHead fresh;
  bool ok = request ? fresh.ParseRequest(text) : fresh.ParseResponse(text);
  CheckParsed(fresh, text, ok, request);

  HttpHead reused;
  FUZZ_CHECK(reused.ParseRequest(kBusyHead));
  bool reused_ok = request ? reused.ParseRequest(text) : reused.ParseResponse(text);
  FUZZ_CHECK(reused_ok == ok && SameFacts(reused, fresh));
}

}  // namespace
}  // namespace prevu::proxy

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using prevu::proxy::HttpHead;
  std::string bytes(reinterpret_cast<const char*>(data), size);

  size_t scanned = 0;
  size_t head_size = 0;
  HttpHead::Scan whole = HttpHead::FindEnd(bytes, &scanned, &head_size);
  size_t piece_head_size = 0;
  FUZZ_CHECK(prevu::proxy::FindEndInPieces(bytes, &piece_head_size) == whole);
  if (whole != HttpHead::Scan::kComplete) {
    return 0;
  }
  FUZZ_CHECK(piece_head_size == head_size && head_size <= size);

  // Exactly the head, in its own allocation, so that a read past its end is caught.
  std::string head = bytes.substr(0, head_size);
  prevu::proxy::ParseBoth(head, /*request=*/true);
  prevu::proxy::ParseBoth(head, /*request=*/false);
  return 0;
}

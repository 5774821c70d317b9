// Fuzzes the encodings of the login flow. Input: a field name on the first line, then a form body
// (or a request target) as a browser or an attacker would post it. Whatever is percent-encoded
// must decode to itself, escaped HTML must hold no markup, and a target judged local must not be
// able to send the browser to another host.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proxy/auth/form_encoding.h"
#include "tests/fuzz/fuzz_support.h"

namespace prevu::proxy {
namespace {

void CheckFind(absl::string_view form, const std::string& name) {
  std::string value;
  if (FindFormField(form, name, &value)) {
    // Decoding only shrinks: "+" stays one byte and "%XX" becomes one.
    FUZZ_CHECK(value.size() <= form.size());
  }
  FindFormField(QueryOf(form), name, &value);
}

void CheckRoundTrip(absl::string_view text) {
  std::string encoded = PercentEncode(text);
  for (char c : encoded) {
    FUZZ_CHECK(c > ' ' && c < 0x7f && c != '&' && c != '=' && c != '+' && c != '#' && c != '?');
  }
  std::string decoded = "<absent>";
  FUZZ_CHECK(FindFormField(absl::StrCat("a=1&next=", encoded, "&z"), "next", &decoded));
  FUZZ_CHECK(decoded == text);
}

void CheckHtmlEscape(absl::string_view text) {
  std::string escaped = HtmlEscape(text);
  for (char c : escaped) {
    FUZZ_CHECK(c != '<' && c != '>' && c != '"' && c != '\'');
  }
  FUZZ_CHECK(escaped.size() >= text.size());
}

void CheckLocalTarget(absl::string_view target) {
  if (!IsLocalTarget(target)) {
    return;
  }
  FUZZ_CHECK(target.size() >= 1 && target[0] == '/');
  FUZZ_CHECK(target.size() < 2 || (target[1] != '/' && target[1] != '\\'));
  for (char c : target) {
    FUZZ_CHECK(static_cast<unsigned char>(c) > ' ' && c != 0x7f);
  }
  // Still local once it has been through the `next=` parameter of the login form.
  std::string back;
  FUZZ_CHECK(FindFormField(absl::StrCat("next=", PercentEncode(target)), "next", &back) &&
             IsLocalTarget(back));
}

}  // namespace
}  // namespace prevu::proxy

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  prevu::fuzz::FuzzInput input(data, size);
  std::string name(input.Line());
  std::string form(input.Rest());

  prevu::proxy::CheckFind(form, name);
  prevu::proxy::CheckRoundTrip(form);
  prevu::proxy::CheckRoundTrip(name);
  prevu::proxy::CheckHtmlEscape(form);
  prevu::proxy::CheckLocalTarget(form);
  prevu::proxy::CheckLocalTarget(name);
  return 0;
}

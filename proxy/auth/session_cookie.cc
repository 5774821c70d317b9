// Signed session cookies; see session_cookie.h.
#include "proxy/auth/session_cookie.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace prevu::proxy {
namespace {

// A version prefix inside the signed text, so a later format can never verify as this one.
constexpr absl::string_view kSignedPrefix = "prevu-session-v1\n";
constexpr size_t kMaxHost = 255;
constexpr size_t kMaxExpiryDigits = 12;

void Base64Url(const unsigned char* data, size_t size, char* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t o = 0;
  size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out[o++] = kAlphabet[(v >> 18) & 63];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = kAlphabet[(v >> 6) & 63];
    out[o++] = kAlphabet[v & 63];
  }
  if (size - i == 1) {
    uint32_t v = data[i] << 16;
    out[o++] = kAlphabet[(v >> 18) & 63];
    out[o++] = kAlphabet[(v >> 12) & 63];
  } else if (size - i == 2) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out[o++] = kAlphabet[(v >> 18) & 63];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = kAlphabet[(v >> 6) & 63];
  }
}

constexpr int64_t kMaxExpiry = 1'000'000'000'000;  // kMaxExpiryDigits digits

constexpr char kModeDigits[] = "0123";

char ModeDigit(AuthMode mode) { return kModeDigits[static_cast<int>(mode)]; }

// Writes the decimal digits of `value` (0 <= value < kMaxExpiry) and returns how many.
size_t WriteDigits(int64_t value, char* out) {
  char reversed[kMaxExpiryDigits];
  size_t n = 0;
  do {
    reversed[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  for (size_t i = 0; i < n; ++i) {
    out[i] = reversed[n - 1 - i];
  }
  return n;
}

}  // namespace

SessionCookie::SessionCookie(std::string key, absl::Duration ttl, const base::Clock* clock)
    : key_(std::move(key)), ttl_(ttl), clock_(clock) {}

bool SessionCookie::Sign(absl::string_view host, int64_t expiry, AuthMode mode, char* out) const {
  if (host.size() > kMaxHost || expiry < 0 || expiry >= kMaxExpiry) {
    return false;
  }
  // prefix, host, "\n", expiry, "\n", mode: built on the stack, as this runs on every request.
  char text[kSignedPrefix.size() + kMaxHost + kMaxExpiryDigits + 8];
  size_t n = 0;
  std::memcpy(text, kSignedPrefix.data(), kSignedPrefix.size());
  n += kSignedPrefix.size();
  std::memcpy(text + n, host.data(), host.size());
  n += host.size();
  text[n++] = '\n';
  n += WriteDigits(expiry, text + n);
  text[n++] = '\n';
  text[n++] = ModeDigit(mode);

  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
           reinterpret_cast<const unsigned char*>(text), n, mac, &mac_size) == nullptr ||
      mac_size != 32) {
    return false;
  }
  Base64Url(mac, mac_size, out);
  return true;
}

std::string SessionCookie::Issue(absl::string_view host, AuthMode mode, bool secure) const {
  int64_t expiry = absl::ToUnixSeconds(clock_->Now() + ttl_);
  char signature[kSignatureChars];
  if (!Sign(host, expiry, mode, signature)) {
    return Clear(secure);
  }
  return absl::StrCat(kName, "=", expiry, ".",
                      absl::string_view(&kModeDigits[static_cast<int>(mode)], 1), ".",
                      absl::string_view(signature, kSignatureChars),
                      "; Path=/; Max-Age=", absl::ToInt64Seconds(ttl_), "; HttpOnly; SameSite=Lax",
                      secure ? "; Secure" : "");
}

std::string SessionCookie::Clear(bool secure) {
  return absl::StrCat(kName, "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
                      secure ? "; Secure" : "");
}

bool SessionCookie::Verify(absl::string_view cookie_header, absl::string_view host,
                           AuthMode mode) const {
  // RFC 6265 §4.2.1: pairs separated by "; ". A name may repeat (a stale cookie beside a fresh
  // one), so every pair with our name is tried.
  while (!cookie_header.empty()) {
    size_t end = cookie_header.find(';');
    absl::string_view pair = absl::StripAsciiWhitespace(cookie_header.substr(0, end));
    cookie_header =
        end == absl::string_view::npos ? absl::string_view() : cookie_header.substr(end + 1);
    if (pair.size() > kName.size() && pair.substr(0, kName.size()) == kName &&
        pair[kName.size()] == '=' && VerifyValue(pair.substr(kName.size() + 1), host, mode)) {
      return true;
    }
  }
  return false;
}

bool SessionCookie::VerifyValue(absl::string_view value, absl::string_view host,
                                AuthMode mode) const {
  // "<expiry>.<mode>.<signature>"
  size_t dot = value.find('.');
  if (dot == absl::string_view::npos || dot == 0 || dot > kMaxExpiryDigits) {
    return false;
  }
  absl::string_view expiry_text = value.substr(0, dot);
  absl::string_view rest = value.substr(dot + 1);
  if (rest.size() != 2 + kSignatureChars || rest[0] != ModeDigit(mode) || rest[1] != '.') {
    return false;
  }
  int64_t expiry = 0;
  for (char c : expiry_text) {
    if (!absl::ascii_isdigit(c)) {
      return false;
    }
  }
  if (!absl::SimpleAtoi(expiry_text, &expiry)) {
    return false;
  }

  // An expiry further away than the TTL was not issued under the current settings.
  int64_t now = absl::ToUnixSeconds(clock_->Now());
  if (expiry <= now || expiry > now + absl::ToInt64Seconds(ttl_) + 60) {
    return false;
  }
  char expected[kSignatureChars];
  if (!Sign(host, expiry, mode, expected)) {
    return false;
  }
  return CRYPTO_memcmp(expected, rest.data() + 2, kSignatureChars) == 0;
}

}  // namespace prevu::proxy

// Form, percent and HTML encodings; see form_encoding.h.
#include "proxy/auth/form_encoding.h"

#include "absl/strings/ascii.h"

namespace prevu::proxy {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

void DecodeFormComponent(absl::string_view text, std::string* out) {
  out->clear();
  out->reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out->push_back(' ');
      continue;
    }
    if (c == '%' && i + 2 < text.size()) {
      int high = HexValue(text[i + 1]);
      int low = HexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out->push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out->push_back(c);
  }
}

bool Unreserved(char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

}  // namespace

bool FindFormField(absl::string_view form, absl::string_view name, std::string* value) {
  std::string decoded_name;
  while (!form.empty()) {
    size_t end = form.find('&');
    absl::string_view pair = form.substr(0, end);
    form = end == absl::string_view::npos ? absl::string_view() : form.substr(end + 1);
    if (pair.empty()) {
      continue;
    }
    size_t equals = pair.find('=');
    absl::string_view raw_name = pair.substr(0, equals);
    absl::string_view raw_value =
        equals == absl::string_view::npos ? absl::string_view() : pair.substr(equals + 1);
    DecodeFormComponent(raw_name, &decoded_name);
    if (decoded_name == name) {
      DecodeFormComponent(raw_value, value);
      return true;
    }
  }
  return false;
}

absl::string_view QueryOf(absl::string_view target) {
  size_t question = target.find('?');
  return question == absl::string_view::npos ? absl::string_view() : target.substr(question + 1);
}

std::string PercentEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (Unreserved(c) || c == '/') {
      out.push_back(c);
      continue;
    }
    unsigned char byte = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 15]);
  }
  return out;
}

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&#39;");
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

bool IsLocalTarget(absl::string_view target) {
  if (target.empty() || target[0] != '/') {
    return false;
  }
  if (target.size() > 1 && (target[1] == '/' || target[1] == '\\')) {
    return false;
  }
  for (char c : target) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) {
      return false;
    }
  }
  return true;
}

}  // namespace prevu::proxy

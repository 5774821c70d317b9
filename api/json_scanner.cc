// The strict, selective JSON reader; see json_scanner.h. The grammar is RFC 8259 section 2 to 8:
// no comments, no trailing commas, no leading zeros, strings in valid UTF-8 with only the escapes
// the RFC lists, surrogate pairs complete.
#include "api/json_scanner.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace prevu::api {
namespace {

// What the scan does with one value.
struct Interest {
  bool keep = false;     // store the value under its path
  bool descend = false;  // an object whose members may be kept
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  char lower = absl::ascii_tolower(static_cast<unsigned char>(c));
  return lower >= 'a' && lower <= 'f' ? lower - 'a' + 10 : -1;
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

// The length of the well-formed UTF-8 sequence of two to four bytes at `p` (Unicode 15, table
// 3-7), or 0 when it is not one.
size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  auto in = [](unsigned char c, unsigned char lo, unsigned char hi) { return c >= lo && c <= hi; };
  size_t available = static_cast<size_t>(end - p);
  unsigned char b0 = p[0];
  if (in(b0, 0xC2, 0xDF)) {
    return available >= 2 && in(p[1], 0x80, 0xBF) ? 2 : 0;
  }
  if (in(b0, 0xE0, 0xEF)) {
    unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    return available >= 3 && in(p[1], lo, hi) && in(p[2], 0x80, 0xBF) ? 3 : 0;
  }
  if (in(b0, 0xF0, 0xF4)) {
    unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return available >= 4 && in(p[1], lo, hi) && in(p[2], 0x80, 0xBF) && in(p[3], 0x80, 0xBF) ? 4
                                                                                              : 0;
  }
  return 0;
}

}  // namespace

// One scan of one document: a recursive descent whose depth is bounded by kMaxDepth.
class JsonScan {
 public:
  JsonScan(const JsonScanner& scanner, absl::string_view text,
           absl::flat_hash_map<std::string, nlohmann::json>* fields)
      : scanner_(scanner),
        begin_(text.data()),
        p_(text.data()),
        end_(text.data() + text.size()),
        fields_(fields) {}

  absl::Status Run() {
    SkipSpace();
    bool root_is_object = p_ < end_ && *p_ == '{';
    std::string root;
    if (!Value(&root, Interest{.keep = false, .descend = true}, 0)) {
      return Error();
    }
    SkipSpace();
    if (p_ != end_) {
      Fail("unexpected text after the document");
      return Error();
    }
    if (!root_is_object) {
      return absl::InvalidArgumentError("the body must be a JSON object");
    }
    return absl::OkStatus();
  }

 private:
  bool Fail(absl::string_view reason) {
    if (reason_.empty()) {
      reason_ = std::string(reason);
      error_at_ = p_ - begin_;
    }
    return false;
  }

  absl::Status Error() const {
    return absl::InvalidArgumentError(
        absl::StrCat("the body is not valid JSON (byte ", error_at_, ": ", reason_, ")"));
  }

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) {
      ++p_;
    }
  }

  Interest InterestIn(const std::string& path) const {
    if (scanner_.keep_all_) {
      return Interest{.keep = true, .descend = true};
    }
    return Interest{.keep = scanner_.wanted_.contains(path),
                    .descend = scanner_.prefixes_.contains(path)};
  }

  // `path` is the value's own path; it may be changed and is restored by the caller.
  bool Value(std::string* path, Interest interest, int depth) {
    if (depth > JsonScanner::kMaxDepth) {
      return Fail("nested too deeply");
    }
    if (p_ == end_) {
      return Fail("expected a value");
    }
    switch (*p_) {
      case '{':
        Keep(*path, interest, nlohmann::json::object());
        return Object(path, interest.descend, depth);
      case '[':
        Keep(*path, interest, nlohmann::json::array());
        return Array(depth);
      case '"': {
        std::string text;
        if (!String(interest.keep ? &text : nullptr)) {
          return false;
        }
        Keep(*path, interest, std::move(text));
        return true;
      }
      case 't':
        return Literal("true", *path, interest, true);
      case 'f':
        return Literal("false", *path, interest, false);
      case 'n':
        return Literal("null", *path, interest, nullptr);
      default:
        return Number(*path, interest);
    }
  }

  void Keep(const std::string& path, Interest interest, nlohmann::json value) {
    if (interest.keep && !path.empty()) {
      (*fields_)[path] = std::move(value);
    }
  }

  bool Literal(absl::string_view word, const std::string& path, Interest interest,
               nlohmann::json value) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        absl::string_view(p_, word.size()) != word) {
      return Fail("expected a value");
    }
    p_ += word.size();
    Keep(path, interest, std::move(value));
    return true;
  }

  bool Object(std::string* path, bool descend, int depth) {
    ++p_;  // '{'
    SkipSpace();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    size_t base = path->size();
    std::string key;
    while (true) {
      SkipSpace();
      if (p_ == end_ || *p_ != '"') {
        return Fail("expected a member name in quotes");
      }
      key.clear();
      if (!String(descend ? &key : nullptr)) {
        return false;
      }
      SkipSpace();
      if (p_ == end_ || *p_ != ':') {
        return Fail("expected ':' after a member name");
      }
      ++p_;
      SkipSpace();

      Interest interest;
      if (descend) {
        absl::StrAppend(path, base == 0 ? "" : ".", key);
        interest = InterestIn(*path);
      }
      bool ok = Value(path, interest, depth + 1);
      path->resize(base);
      if (!ok) {
        return false;
      }

      SkipSpace();
      if (p_ < end_ && *p_ == ',') {
        ++p_;
        continue;
      }
      if (p_ < end_ && *p_ == '}') {
        ++p_;
        return true;
      }
      return Fail("expected ',' or '}' in an object");
    }
  }

  // Elements of arrays are validated, never kept.
  bool Array(int depth) {
    ++p_;  // '['
    SkipSpace();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    std::string no_path;
    while (true) {
      SkipSpace();
      if (!Value(&no_path, Interest{}, depth + 1)) {
        return false;
      }
      SkipSpace();
      if (p_ < end_ && *p_ == ',') {
        ++p_;
        continue;
      }
      if (p_ < end_ && *p_ == ']') {
        ++p_;
        return true;
      }
      return Fail("expected ',' or ']' in an array");
    }
  }

  // Reads a string starting at its opening quote; decodes it into `out` unless that is null.
  bool String(std::string* out) {
    ++p_;  // '"'
    while (true) {
      const char* run = p_;
      while (p_ < end_ && static_cast<unsigned char>(*p_) >= 0x20 && *p_ != '"' && *p_ != '\\' &&
             static_cast<unsigned char>(*p_) < 0x80) {
        ++p_;
      }
      if (out != nullptr) {
        out->append(run, static_cast<size_t>(p_ - run));
      }
      if (p_ == end_) {
        return Fail("unterminated string");
      }
      unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) {
        return Fail("control character in a string");
      }
      if (c == '\\') {
        if (!Escape(out)) {
          return false;
        }
        continue;
      }
      size_t length = Utf8SequenceLength(reinterpret_cast<const unsigned char*>(p_),
                                         reinterpret_cast<const unsigned char*>(end_));
      if (length == 0) {
        return Fail("invalid UTF-8 in a string");
      }
      if (out != nullptr) {
        out->append(p_, length);
      }
      p_ += length;
    }
  }

  bool Escape(std::string* out) {
    ++p_;  // '\\'
    if (p_ == end_) {
      return Fail("unterminated string");
    }
    char c = *p_++;
    char simple = c == '"'    ? '"'
                  : c == '\\' ? '\\'
                  : c == '/'  ? '/'
                  : c == 'b'  ? '\b'
                  : c == 'f'  ? '\f'
                  : c == 'n'  ? '\n'
                  : c == 'r'  ? '\r'
                  : c == 't'  ? '\t'
                              : '\0';
    if (simple != '\0') {
      if (out != nullptr) {
        out->push_back(simple);
      }
      return true;
    }
    if (c != 'u') {
      return Fail("invalid escape in a string");
    }

    uint32_t code_point = 0;
    if (!Hex4(&code_point)) {
      return false;
    }
    // UTF-16 surrogates (RFC 8259 section 7): a high one must be followed by a low one.
    if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
      return Fail("lone low surrogate in a string");
    }
    if (code_point >= 0xD800 && code_point <= 0xDBFF) {
      uint32_t low = 0;
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
        return Fail("high surrogate without a low one in a string");
      }
      p_ += 2;
      if (!Hex4(&low)) {
        return false;
      }
      if (low < 0xDC00 || low > 0xDFFF) {
        return Fail("high surrogate without a low one in a string");
      }
      code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
    }
    if (out != nullptr) {
      AppendUtf8(code_point, out);
    }
    return true;
  }

  bool Hex4(uint32_t* value) {
    if (end_ - p_ < 4) {
      return Fail("short \\u escape in a string");
    }
    for (int i = 0; i < 4; ++i) {
      int digit = HexDigit(*p_++);
      if (digit < 0) {
        return Fail("invalid \\u escape in a string");
      }
      *value = *value * 16 + static_cast<uint32_t>(digit);
    }
    return true;
  }

  bool Digits() {
    const char* start = p_;
    while (p_ < end_ && absl::ascii_isdigit(static_cast<unsigned char>(*p_))) {
      ++p_;
    }
    return p_ != start;
  }

  bool Number(const std::string& path, Interest interest) {
    const char* start = p_;
    if (*p_ == '-') {
      ++p_;
    }
    if (p_ < end_ && *p_ == '0') {
      ++p_;  // a leading zero stands alone
    } else if (!Digits()) {
      return Fail("expected a value");
    }
    bool integer = true;
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      integer = false;
      if (!Digits()) {
        return Fail("expected digits after '.'");
      }
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      integer = false;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) {
        ++p_;
      }
      if (!Digits()) {
        return Fail("expected digits in an exponent");
      }
    }
    // Integers of up to 18 digits always fit; anything else is converted to be sure it does, as
    // nlohmann_json (and so the rest of Prevu) refuses a number beyond a double's range.
    absl::string_view text(start, p_ - start);
    if (interest.keep || !integer || text.size() > 18) {
      nlohmann::json value = NumberValue(text, integer);
      if (value.is_number_float() && !std::isfinite(value.get<double>())) {
        p_ = start;
        return Fail("number out of range");
      }
      Keep(path, interest, std::move(value));
    }
    return true;
  }

  static nlohmann::json NumberValue(absl::string_view text, bool integer) {
    int64_t signed_value = 0;
    uint64_t unsigned_value = 0;
    if (integer && absl::SimpleAtoi(text, &signed_value)) {
      return signed_value;
    }
    if (integer && absl::SimpleAtoi(text, &unsigned_value)) {
      return unsigned_value;
    }
    double value = 0;
    (void)absl::SimpleAtod(text, &value);  // valid by the grammar; out of range gives inf
    return value;
  }

  const JsonScanner& scanner_;
  const char* const begin_;
  const char* p_;
  const char* const end_;
  absl::flat_hash_map<std::string, nlohmann::json>* const fields_;
  std::string reason_;
  ptrdiff_t error_at_ = 0;
};

JsonScanner::JsonScanner(const std::vector<absl::string_view>& paths) : keep_all_(paths.empty()) {
  for (absl::string_view path : paths) {
    wanted_.emplace(path);
    for (size_t dot = path.find('.'); dot != absl::string_view::npos;
         dot = path.find('.', dot + 1)) {
      prefixes_.emplace(path.substr(0, dot));
    }
  }
}

absl::Status JsonScanner::Scan(absl::string_view text,
                               absl::flat_hash_map<std::string, nlohmann::json>* fields) const {
  return JsonScan(*this, text, fields).Run();
}

}  // namespace prevu::api

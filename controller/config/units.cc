// Parsers for sizes, durations, CPU shares, ports and listen addresses.
#include "controller/config/units.h"

#include <arpa/inet.h>

#include <cmath>
#include <limits>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "controller/config/validators.h"

namespace prevu::controller {
namespace {

constexpr int64_t kKiB = int64_t{1} << 10;
constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kGiB = int64_t{1} << 30;
constexpr int64_t kTiB = int64_t{1} << 40;
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

struct SizeUnit {
  absl::string_view name;  // lower case
  int64_t factor;
};

constexpr SizeUnit kSizeUnits[] = {
    {"", 1},
    {"b", 1},
    {"k", kKiB},
    {"ki", kKiB},
    {"kib", kKiB},
    {"m", kMiB},
    {"mi", kMiB},
    {"mib", kMiB},
    {"g", kGiB},
    {"gi", kGiB},
    {"gib", kGiB},
    {"t", kTiB},
    {"ti", kTiB},
    {"tib", kTiB},
    {"kb", 1000},
    {"mb", 1000 * 1000},
    {"gb", 1000 * 1000 * 1000},
    {"tb", int64_t{1000} * 1000 * 1000 * 1000},
};

// Removes and returns the longest prefix of `*text` whose characters satisfy `predicate`.
absl::string_view TakeWhile(absl::string_view* text, bool (*predicate)(unsigned char)) {
  size_t n = 0;
  while (n < text->size() && predicate(static_cast<unsigned char>((*text)[n]))) {
    ++n;
  }
  absl::string_view taken = text->substr(0, n);
  text->remove_prefix(n);
  return taken;
}

absl::string_view TakeDigits(absl::string_view* text) {
  return TakeWhile(text, absl::ascii_isdigit);
}

// The value of a run of decimal digits, or nullopt when it exceeds `limit`.
std::optional<int64_t> DigitsValue(absl::string_view digits, int64_t limit) {
  int64_t value = 0;
  for (char c : digits) {
    int digit = c - '0';
    if (value > (limit - digit) / 10) {
      return std::nullopt;
    }
    value = value * 10 + digit;
  }
  return value;
}

const SizeUnit* FindSizeUnit(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(name);
  for (const SizeUnit& unit : kSizeUnits) {
    if (unit.name == lower) {
      return &unit;
    }
  }
  return nullptr;
}

absl::Status SizeError(absl::string_view text, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat("`", text, "` is not a size: ", reason));
}

struct DurationUnit {
  absl::string_view name;
  absl::Duration length;
};

// From largest to smallest: a duration's parts must come in this order.
const DurationUnit kDurationUnits[] = {
    {"d", absl::Hours(24)},  {"h", absl::Hours(1)},         {"m", absl::Minutes(1)},
    {"s", absl::Seconds(1)}, {"ms", absl::Milliseconds(1)},
};
constexpr int kDurationUnitCount = sizeof(kDurationUnits) / sizeof(kDurationUnits[0]);

int FindDurationUnit(absl::string_view name) {
  for (int i = 0; i < kDurationUnitCount; ++i) {
    if (kDurationUnits[i].name == name) {
      return i;
    }
  }
  return -1;
}

absl::Status DurationError(absl::string_view text, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat("`", text, "` is not a duration: ", reason));
}

constexpr absl::string_view kDurationExamples =
    "write whole numbers with units d, h, m, s or ms, such as `90s`, `10m`, `7d` or `1h30m`";

// Reads one part of a duration ("90s") from the front of `*rest` and returns its unit index.
absl::StatusOr<int> TakeDurationPart(absl::string_view text, absl::string_view* rest,
                                     absl::Duration* length) {
  *rest = absl::StripLeadingAsciiWhitespace(*rest);
  absl::string_view digits = TakeDigits(rest);
  *rest = absl::StripLeadingAsciiWhitespace(*rest);
  absl::string_view unit = TakeWhile(rest, absl::ascii_isalpha);
  if (digits.empty() || (!rest->empty() && (*rest)[0] == '.')) {
    return DurationError(text, kDurationExamples);
  }
  if (unit.empty()) {
    return DurationError(text, absl::StrCat("`", digits, "` needs a unit, such as `", digits,
                                            "s` or `", digits, "m`"));
  }

  int index = FindDurationUnit(unit);
  if (index < 0) {
    return DurationError(text, absl::StrCat("unknown unit `", unit, "`; ", kDurationExamples));
  }

  // A bound of a million days keeps the arithmetic far from overflow and is never meant.
  std::optional<int64_t> count = DigitsValue(digits, int64_t{86'400'000'000'000});
  if (!count) {
    return DurationError(text, "it is too long");
  }
  *length = *count * kDurationUnits[index].length;
  return index;
}

bool IsDottedQuadLike(absl::string_view host) {
  for (char c : host) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.') {
      return false;
    }
  }
  return true;
}

absl::Status ListenError(absl::string_view text, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(
      "`", text, "` is not a listen address such as `127.0.0.1:9080` or `[::1]:9080`: ", reason));
}

absl::Status CheckListenHost(absl::string_view text, absl::string_view host, bool bracketed) {
  char buffer[sizeof(struct in6_addr)];
  std::string host_string(host);
  if (bracketed) {
    if (inet_pton(AF_INET6, host_string.c_str(), buffer) != 1) {
      return ListenError(text, absl::StrCat("`", host, "` is not an IPv6 address"));
    }
    return absl::OkStatus();
  }
  if (host.empty()) {
    return ListenError(text, "the host is missing; write `0.0.0.0:PORT` to listen everywhere");
  }
  if (host.find(':') != absl::string_view::npos) {
    return ListenError(text, "write IPv6 addresses in brackets, such as `[::1]:9080`");
  }
  if (IsDottedQuadLike(host)) {
    if (inet_pton(AF_INET, host_string.c_str(), buffer) != 1) {
      return ListenError(text, absl::StrCat("`", host, "` is not an IPv4 address"));
    }
    return absl::OkStatus();
  }
  if (!CheckDnsName(host).ok()) {
    return ListenError(text, absl::StrCat("`", host, "` is neither an IP address nor a host name"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int64_t> ParseSize(absl::string_view text) {
  absl::string_view rest = absl::StripAsciiWhitespace(text);
  absl::string_view whole = TakeDigits(&rest);
  absl::string_view fraction;
  bool has_point = !rest.empty() && rest[0] == '.';
  if (has_point) {
    rest.remove_prefix(1);
    fraction = TakeDigits(&rest);
  }
  if (whole.empty() || (has_point && fraction.empty())) {
    return SizeError(text, "write a number of bytes or a number with a unit, such as `512MiB`");
  }

  const SizeUnit* unit = FindSizeUnit(absl::StripLeadingAsciiWhitespace(rest));
  if (unit == nullptr) {
    return SizeError(text, absl::StrCat("unknown unit `", absl::StripLeadingAsciiWhitespace(rest),
                                        "`; use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB, "
                                        "or k, m, g, t as Docker does"));
  }
  if (fraction.size() > 9) {
    return SizeError(text, "use at most 9 decimals");
  }

  // Whole and fractional parts are scaled separately so that `1.5GiB` is exact.
  std::optional<int64_t> whole_value = DigitsValue(whole, kInt64Max);
  std::optional<int64_t> fraction_value = DigitsValue(fraction, kInt64Max);
  int64_t denominator = 1;
  for (size_t i = 0; i < fraction.size(); ++i) {
    denominator *= 10;
  }
  if (!whole_value || *whole_value > kInt64Max / unit->factor) {
    return SizeError(text, "it is too large");
  }
  int64_t bytes = *whole_value * unit->factor;
  __int128 extra = static_cast<__int128>(*fraction_value) * unit->factor / denominator;
  if (extra > kInt64Max - bytes) {
    return SizeError(text, "it is too large");
  }
  return bytes + static_cast<int64_t>(extra);
}

std::string SizeToText(int64_t bytes) {
  constexpr SizeUnit kUnits[] = {{"TiB", kTiB}, {"GiB", kGiB}, {"MiB", kMiB}, {"KiB", kKiB}};
  for (const SizeUnit& unit : kUnits) {
    if (bytes != 0 && bytes % unit.factor == 0) {
      return absl::StrCat(bytes / unit.factor, unit.name);
    }
  }
  return absl::StrCat(bytes, "B");
}

absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text) {
  absl::string_view rest = absl::StripAsciiWhitespace(text);
  if (rest.empty()) {
    return DurationError(text, kDurationExamples);
  }

  absl::Duration total = absl::ZeroDuration();
  int previous_unit = -1;
  while (!rest.empty()) {
    absl::Duration length;
    absl::StatusOr<int> unit = TakeDurationPart(text, &rest, &length);
    if (!unit.ok()) {
      return unit.status();
    }
    if (*unit <= previous_unit) {
      return DurationError(text, "write each unit once, from largest to smallest, as in `1h30m`");
    }
    previous_unit = *unit;
    total += length;
  }
  return total;
}

std::string DurationToText(absl::Duration duration) {
  if (duration == absl::ZeroDuration()) {
    return "0s";
  }

  std::string text = duration < absl::ZeroDuration() ? "-" : "";
  absl::Duration rest = absl::AbsDuration(duration);
  for (const DurationUnit& unit : kDurationUnits) {
    int64_t count = absl::IDivDuration(rest, unit.length, &rest);
    if (count != 0) {
      absl::StrAppend(&text, count, unit.name);
    }
  }
  return text;
}

absl::StatusOr<double> ParseCpus(double value) {
  if (!std::isfinite(value) || value < kMinCpus || value > kMaxCpus) {
    return absl::InvalidArgumentError(
        absl::StrCat("`", value, "` is not a CPU share between ", kMinCpus, " and ", kMaxCpus));
  }
  return value;
}

absl::StatusOr<int> ParsePort(int64_t value) {
  if (value < 1 || value > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("`", value, "` is not a port between 1 and 65535"));
  }
  return static_cast<int>(value);
}

absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view text) {
  ListenAddress address;
  absl::string_view port_text;
  bool bracketed = !text.empty() && text[0] == '[';
  size_t colon = text.rfind(':');
  if (bracketed) {
    size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return ListenError(text, "write `[ADDRESS]:PORT`");
    }
    address.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else if (colon == absl::string_view::npos) {
    return ListenError(text, "the port is missing");
  } else {
    address.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }

  if (absl::Status host = CheckListenHost(text, address.host, bracketed); !host.ok()) {
    return host;
  }
  absl::string_view digits = TakeDigits(&port_text);
  std::optional<int64_t> port = DigitsValue(digits, 65535);
  if (digits.empty() || !port_text.empty() || !port) {
    return ListenError(text, "the port must be a number from 0 to 65535");
  }
  address.port = static_cast<int>(*port);
  return address;
}

}  // namespace prevu::controller

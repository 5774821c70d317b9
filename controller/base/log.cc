// Structured log lines on stderr; see log.h.
#include "controller/base/log.h"

#include <unistd.h>

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "controller/base/clock.h"

namespace prevu::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

bool NeedsQuotes(absl::string_view value) {
  if (value.empty()) {
    return true;
  }
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

}  // namespace

void SetLevel(Level level) { g_level.store(static_cast<int>(level)); }

bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

bool ParseLevel(absl::string_view text, Level* level) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == LevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

Line::Line(Level level, absl::string_view message) : enabled_(Enabled(level)) {
  if (!enabled_) {
    return;
  }
  text_ = absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                       " ", LevelName(level), " ", message);
}

Line::~Line() {
  if (!enabled_) {
    return;
  }
  text_.push_back('\n');
  // One write per line keeps concurrent lines whole; a failed write to stderr has nowhere to go.
  ssize_t ignored = ::write(STDERR_FILENO, text_.data(), text_.size());
  (void)ignored;
}

Line& Line::With(absl::string_view key, absl::string_view value) {
  if (enabled_) {
    AppendField(key, value);
  }
  return *this;
}

void Line::AppendField(absl::string_view key, absl::string_view value) {
  absl::StrAppend(&text_, " ", key, "=");
  if (!NeedsQuotes(value)) {
    text_.append(value.data(), value.size());
    return;
  }
  text_.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') {
      text_.push_back('\\');
      text_.push_back(c);
    } else if (c == '\n') {
      text_.append("\\n");
    } else if (static_cast<unsigned char>(c) < 0x20) {
      text_.push_back('?');
    } else {
      text_.push_back(c);
    }
  }
  text_.push_back('"');
}

}  // namespace prevu::log

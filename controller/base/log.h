// Structured logging: one line per event, a fixed message followed by key=value fields.
//
//   log::Info("webhook accepted").With("delivery", id).With("took_us", 140);
//
// The line is written when the temporary is destroyed, in one write(2) to stderr, so lines from
// different threads never interleave. Values containing spaces, quotes or '=' are quoted.
// Never pass a secret to With(): log lines are read by people who must not see them.
#pragma once

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"

namespace prevu::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Sets the lowest level that is written. Thread-safe; the default is kInfo.
void SetLevel(Level level);
bool Enabled(Level level);

// Parses "debug", "info", "warn" or "error". Returns false on anything else.
bool ParseLevel(absl::string_view text, Level* level);

class Line {
 public:
  Line(Level level, absl::string_view message);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  Line& With(absl::string_view key, absl::string_view value);
  Line& With(absl::string_view key, const char* value) {
    return With(key, absl::string_view(value));
  }
  Line& With(absl::string_view key, const std::string& value) {
    return With(key, absl::string_view(value));
  }
  template <typename T>
  Line& With(absl::string_view key, const T& value) {
    if (enabled_) {
      AppendField(key, absl::StrCat(value));
    }
    return *this;
  }

 private:
  void AppendField(absl::string_view key, absl::string_view value);

  bool enabled_;
  std::string text_;
};

inline Line Debug(absl::string_view message) { return Line(Level::kDebug, message); }
inline Line Info(absl::string_view message) { return Line(Level::kInfo, message); }
inline Line Warn(absl::string_view message) { return Line(Level::kWarn, message); }
inline Line Error(absl::string_view message) { return Line(Level::kError, message); }

}  // namespace prevu::log

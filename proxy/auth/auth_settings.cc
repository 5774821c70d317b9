// Access-control settings; see auth_settings.h.
#include "proxy/auth/auth_settings.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace prevu::proxy {
namespace {

absl::Status ErrnoError(int error, absl::string_view what, absl::string_view path) {
  return absl::ErrnoToStatus(error, absl::StrCat(what, " ", path));
}

// Reads the whole key file at `path`; `*exists` is false when there is none.
absl::StatusOr<std::string> ReadKey(const std::string& path, bool* exists) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  *exists = fd >= 0 || errno != ENOENT;
  if (fd < 0) {
    return ErrnoError(errno, "cannot open", path);
  }
  std::string key(kCookieKeyBytes + 1, '\0');
  size_t size = 0;
  while (size < key.size()) {
    ssize_t n = read(fd, key.data() + size, key.size() - size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int error = errno;
      close(fd);
      return ErrnoError(error, "cannot read", path);
    }
    if (n == 0) {
      break;
    }
    size += static_cast<size_t>(n);
  }
  close(fd);
  if (size != kCookieKeyBytes) {
    return absl::DataLossError(absl::StrCat(path, " holds ", size, " bytes instead of ",
                                            kCookieKeyBytes, "; remove it to make a new key"));
  }
  key.resize(size);
  return key;
}

// Writes a new random key into a fresh temporary file next to `path` and syncs it.
absl::Status WriteTemporaryKey(const std::string& temporary) {
  unsigned char key[kCookieKeyBytes];
  if (RAND_bytes(key, sizeof(key)) != 1) {
    return absl::InternalError("OpenSSL could not produce random bytes for the cookie key");
  }
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return ErrnoError(errno, "cannot create", temporary);
  }
  size_t written = 0;
  while (written < sizeof(key)) {
    ssize_t n = write(fd, key + written, sizeof(key) - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int error = errno;
      close(fd);
      return ErrnoError(error, "cannot write", temporary);
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    int error = errno;
    close(fd);
    return ErrnoError(error, "cannot sync", temporary);
  }
  close(fd);
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoError(errno, "cannot open", dir);
  }
  int result = fsync(fd);
  int error = errno;
  close(fd);
  return result == 0 ? absl::OkStatus() : ErrnoError(error, "cannot sync", dir);
}

bool ParsePort(absl::string_view text, uint16_t* port) {
  uint32_t value = 0;
  if (text.empty() || text.size() > 5 || !absl::SimpleAtoi(text, &value) || value == 0 ||
      value > 65535) {
    return false;
  }
  for (char c : text) {
    if (!absl::ascii_isdigit(c)) {
      return false;
    }
  }
  *port = static_cast<uint16_t>(value);
  return true;
}

}  // namespace

absl::string_view AuthModeName(AuthMode mode) {
  switch (mode) {
    case AuthMode::kNone:
      return "none";
    case AuthMode::kPassword:
      return "password";
    case AuthMode::kForward:
      return "forward";
    case AuthMode::kBypassToken:
      return "bypass_token";
  }
  return "none";
}

AuthMode EffectiveMode(RouteAuth route, AuthMode default_mode) {
  switch (route) {
    case RouteAuth::kDefault:
      return default_mode;
    case RouteAuth::kNone:
      return AuthMode::kNone;
    case RouteAuth::kPassword:
      return AuthMode::kPassword;
    case RouteAuth::kForward:
      return AuthMode::kForward;
    case RouteAuth::kBypassToken:
      return AuthMode::kBypassToken;
  }
  return default_mode;
}

absl::StatusOr<ForwardTarget> ParseForwardUrl(absl::string_view url) {
  ForwardTarget target;
  absl::string_view rest = url;
  if (absl::StartsWithIgnoreCase(rest, "http://")) {
    rest.remove_prefix(7);
  } else if (absl::StartsWithIgnoreCase(rest, "https://")) {
    rest.remove_prefix(8);
    target.https = true;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("forward_url \"", url, "\" must start with http:// or https://"));
  }
  if (rest.find('#') != absl::string_view::npos) {
    return absl::InvalidArgumentError("forward_url must not have a fragment (#...)");
  }

  size_t authority_end = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, authority_end);
  absl::string_view path =
      authority_end == absl::string_view::npos ? "" : rest.substr(authority_end);
  if (authority.find('@') != absl::string_view::npos) {
    return absl::InvalidArgumentError("forward_url must not carry a user name or password");
  }

  // The port follows the last colon, unless that colon is inside an IPv6 literal's brackets.
  absl::string_view host = authority;
  absl::string_view port;
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  if (colon != absl::string_view::npos && (bracket == absl::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host.find_first_of("[] ") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("forward_url \"", url, "\" has no valid host"));
  }
  target.port = target.https ? 443 : 80;
  if (!port.empty() && !ParsePort(port, &target.port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("forward_url \"", url, "\" has an invalid port \"", port, "\""));
  }

  target.host = std::string(host);
  target.host_header = std::string(authority);
  target.target = path.empty() || path.front() == '?' ? absl::StrCat("/", path) : std::string(path);
  return target;
}

absl::Status ValidateAuthSettings(const AuthSettings& settings,
                                  const std::vector<AuthMode>& modes_in_use) {
  for (AuthMode mode : modes_in_use) {
    switch (mode) {
      case AuthMode::kNone:
        break;
      case AuthMode::kPassword:
        if (settings.password.empty()) {
          return absl::InvalidArgumentError("auth mode password needs a password");
        }
        if (settings.cookie_key.size() != kCookieKeyBytes) {
          return absl::InvalidArgumentError(
              absl::StrCat("auth mode password needs a cookie key of ", kCookieKeyBytes, " bytes"));
        }
        break;
      case AuthMode::kForward: {
        absl::StatusOr<ForwardTarget> target = ParseForwardUrl(settings.forward_url);
        if (!target.ok()) {
          return target.status();
        }
        break;
      }
      case AuthMode::kBypassToken:
        if (settings.bypass_token.empty()) {
          return absl::InvalidArgumentError("auth mode bypass_token needs a bypass token");
        }
        break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> LoadOrCreateCookieKey(const std::string& state_dir) {
  std::string path = absl::StrCat(state_dir, "/", kCookieKeyFileName);
  bool exists = false;
  absl::StatusOr<std::string> key = ReadKey(path, &exists);
  if (exists) {
    return key;
  }

  // link(2) fails when the name exists, so of two processes starting at once exactly one key
  // wins and the other process reads it.
  std::string temporary = absl::StrCat(path, ".tmp-", getpid());
  unlink(temporary.c_str());
  absl::Status written = WriteTemporaryKey(temporary);
  if (!written.ok()) {
    unlink(temporary.c_str());
    return written;
  }
  int linked = link(temporary.c_str(), path.c_str());
  int error = errno;
  unlink(temporary.c_str());
  if (linked != 0 && error != EEXIST) {
    return ErrnoError(error, "cannot create", path);
  }
  absl::Status synced = SyncDirectory(state_dir);
  if (!synced.ok()) {
    return synced;
  }
  return ReadKey(path, &exists);
}

}  // namespace prevu::proxy

// Name, path and address checks for configuration values.
#include "controller/config/validators.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "controller/config/closest_name.h"

namespace prevu::controller {
namespace {

bool IsDnsLabelChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
}

absl::Status Invalid(absl::string_view value, absl::string_view what, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat("`", value, "` is not ", what, ": ", reason));
}

absl::Status CheckDnsLabel(absl::string_view name, absl::string_view label) {
  constexpr absl::string_view kWhat = "a valid DNS name";
  if (label.empty()) {
    return Invalid(name, kWhat, "it has an empty label (two dots in a row, or a dot at an end)");
  }
  if (label.size() > 63) {
    return Invalid(name, kWhat, absl::StrCat("label `", label, "` is longer than 63 characters"));
  }
  for (char c : label) {
    if (!IsDnsLabelChar(c)) {
      return Invalid(name, kWhat,
                     absl::StrCat("label `", label, "` has `", std::string(1, c),
                                  "`; use only letters, digits and hyphens"));
    }
  }
  if (label.front() == '-' || label.back() == '-') {
    return Invalid(name, kWhat, absl::StrCat("label `", label, "` starts or ends with a hyphen"));
  }
  return absl::OkStatus();
}

bool HasWhitespaceOrControl(absl::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return true;
    }
  }
  return false;
}

// Checks one `{name}` of a host template.
absl::Status CheckPlaceholder(absl::string_view host_template, absl::string_view name) {
  static const std::vector<std::string> kPlaceholders = {"number", "repo", "owner", "provider"};
  for (const std::string& known : kPlaceholders) {
    if (name == known) {
      return absl::OkStatus();
    }
  }

  std::string reason = absl::StrCat("unknown placeholder `{", name, "}`");
  if (std::optional<std::string> closest = ClosestName(name, kPlaceholders)) {
    absl::StrAppend(&reason, "; did you mean `{", *closest, "}`?");
  } else {
    absl::StrAppend(&reason, "; use `{number}`, `{repo}`, `{owner}` or `{provider}`");
  }
  return Invalid(host_template, "a host template", reason);
}

}  // namespace

absl::Status CheckDnsName(absl::string_view name) {
  if (name.empty()) {
    return absl::InvalidArgumentError("a DNS name is required, such as `preview.example.com`");
  }
  if (name.size() > 253) {
    return Invalid(name, "a valid DNS name", "it is longer than 253 characters");
  }
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (absl::Status status = CheckDnsLabel(name, label); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckInstanceName(absl::string_view name) {
  constexpr absl::string_view kWhat = "an instance name";
  if (name.empty() || name.size() > 32) {
    return Invalid(name, kWhat, "it must have 1 to 32 characters");
  }
  for (char c : name) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '-') {
      return Invalid(name, kWhat,
                     absl::StrCat("it has `", std::string(1, c),
                                  "`; use only lower-case letters, digits and hyphens"));
    }
  }
  if (name.front() == '-' || name.back() == '-') {
    return Invalid(name, kWhat, "it starts or ends with a hyphen");
  }
  return absl::OkStatus();
}

absl::Status CheckHostTemplate(absl::string_view host_template) {
  constexpr absl::string_view kWhat = "a host template";
  bool has_number = false;
  for (size_t i = 0; i < host_template.size(); ++i) {
    char c = host_template[i];
    if (c == '{') {
      size_t close = host_template.find('}', i);
      if (close == absl::string_view::npos) {
        return Invalid(host_template, kWhat, "a `{` has no matching `}`");
      }
      absl::string_view name = host_template.substr(i + 1, close - i - 1);
      if (absl::Status status = CheckPlaceholder(host_template, name); !status.ok()) {
        return status;
      }
      has_number = has_number || name == "number";
      i = close;
    } else if (c == '.') {
      return Invalid(host_template, kWhat,
                     "it must not contain dots: each preview is one label below `domain`, so a "
                     "wildcard certificate covers it");
    } else if (!IsDnsLabelChar(c)) {
      return Invalid(
          host_template, kWhat,
          absl::StrCat("`", std::string(1, c),
                       "` is not allowed; use letters, digits, hyphens and placeholders"));
    }
  }

  if (!has_number) {
    return Invalid(host_template, kWhat,
                   "it must contain `{number}` so that every request gets its own name, as in "
                   "`pr-{number}-{repo}`");
  }
  return absl::OkStatus();
}

absl::Status CheckEnvName(absl::string_view name) {
  bool valid = !name.empty() && !absl::ascii_isdigit(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    valid = valid && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_');
  }
  if (!valid) {
    return Invalid(name, "a valid variable name",
                   "use letters, digits and `_`, not starting with a digit, as in `LOG_LEVEL`");
  }
  return absl::OkStatus();
}

absl::Status CheckRelativePath(absl::string_view path) {
  constexpr absl::string_view kWhat = "a path inside the repository";
  if (path.empty()) {
    return absl::InvalidArgumentError("the path is empty; use `.` for the repository root");
  }
  if (path[0] == '/') {
    return Invalid(path, kWhat, "it is absolute; write it relative to the repository root");
  }

  int depth = 0;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part == "..") {
      --depth;
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    if (depth < 0) {
      return Invalid(path, kWhat, "its `..` climbs above the repository root");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckCloneUrl(absl::string_view url) {
  constexpr absl::string_view kWhat = "a clone URL";
  if (url.empty() || HasWhitespaceOrControl(url)) {
    return Invalid(url, kWhat, "it is empty or contains spaces");
  }

  size_t scheme_end = url.find("://");
  if (scheme_end != absl::string_view::npos) {
    std::string scheme = absl::AsciiStrToLower(url.substr(0, scheme_end));
    if (scheme != "https" && scheme != "http" && scheme != "ssh" && scheme != "git" &&
        scheme != "file") {
      return Invalid(
          url, kWhat,
          absl::StrCat("scheme `", scheme, "` is not one of https, http, ssh, git, file"));
    }
    if (url.size() == scheme_end + 3) {
      return Invalid(url, kWhat, "nothing follows the scheme");
    }
    return absl::OkStatus();
  }

  // scp-like syntax, as git accepts it: [user@]host:path, with no slash before the colon.
  size_t colon = url.find(':');
  size_t slash = url.find('/');
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 == url.size() ||
      (slash != absl::string_view::npos && slash < colon)) {
    return Invalid(url, kWhat,
                   "use `https://host/owner/name.git`, `git@host:owner/name.git`, or "
                   "`file:///path/to/repo` for a local repository");
  }
  return absl::OkStatus();
}

absl::Status CheckHttpUrl(absl::string_view url) {
  constexpr absl::string_view kWhat = "an http or https URL";
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "https://") && !absl::ConsumePrefix(&rest, "http://")) {
    return Invalid(url, kWhat, "it must start with `https://` or `http://`");
  }
  if (HasWhitespaceOrControl(url)) {
    return Invalid(url, kWhat, "it contains spaces");
  }
  if (rest.empty() || rest[0] == '/' || rest[0] == '?' || rest[0] == '#') {
    return Invalid(url, kWhat, "the host is missing");
  }
  return absl::OkStatus();
}

absl::Status CheckHeaderName(absl::string_view name) {
  constexpr absl::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  bool valid = !name.empty();
  for (char c : name) {
    valid = valid && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                      kTokenPunctuation.find(c) != absl::string_view::npos);
  }
  if (!valid) {
    return Invalid(name, "an HTTP header name",
                   "use letters, digits and hyphens, as in `X-Forwarded-User`");
  }
  return absl::OkStatus();
}

absl::Status CheckRepoName(absl::string_view name) {
  constexpr absl::string_view kWhat = "a repository path";
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() < 2) {
    return Invalid(name, kWhat, "write `owner/name`, or `group/sub/project` on GitLab");
  }

  for (absl::string_view part : parts) {
    bool valid = !part.empty() && part != "." && part != "..";
    for (char c : part) {
      valid = valid && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                        c == '_' || c == '.');
    }
    if (!valid) {
      return Invalid(
          name, kWhat,
          absl::StrCat("`", part, "` is not a valid part; use letters, digits, `-`, `_` and `.`"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckEmail(absl::string_view email) {
  size_t at = email.find('@');
  if (at == absl::string_view::npos || at == 0 ||
      email.find('@', at + 1) != absl::string_view::npos || HasWhitespaceOrControl(email)) {
    return Invalid(email, "an e-mail address", "write it as `ops@example.com`");
  }

  absl::string_view domain = email.substr(at + 1);
  if (domain.find('.') == absl::string_view::npos || !CheckDnsName(domain).ok()) {
    return Invalid(email, "an e-mail address",
                   absl::StrCat("`", domain, "` is not a domain such as `example.com`"));
  }
  return absl::OkStatus();
}

absl::Status CheckUrlPath(absl::string_view path) {
  if (path.empty() || path[0] != '/') {
    return Invalid(path, "a URL path", "it must start with `/`, as in `/healthz`");
  }
  if (HasWhitespaceOrControl(path)) {
    return Invalid(path, "a URL path", "it must not contain spaces or control characters");
  }
  return absl::OkStatus();
}

}  // namespace prevu::controller

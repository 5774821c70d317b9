// See git_fetcher.h.
#include "reconciler/git/git_fetcher.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "controller/base/log.h"
#include "reconciler/git/child_process.h"

namespace prevu::reconciler::git {
namespace {

// Text log fields are passed as absl::AlphaNum, which takes log::Line::With's template path:
// its string_view overload is declared in log.h but not yet defined in log.cc.

constexpr size_t kMaxMessage = 1000;
constexpr char kRedacted[] = "<redacted>";

// Passed through from Prevu's own environment: what git needs to find itself, its keys, its
// proxy and its certificates. Anything else (GIT_DIR, GIT_WORK_TREE...) could redirect it.
constexpr const char* kInherited[] = {
    "PATH",          "HOME",         "SSH_AUTH_SOCK", "GIT_SSH_COMMAND", "GIT_SSL_CAINFO",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "http_proxy",    "https_proxy",     "no_proxy",
    "HTTP_PROXY",    "HTTPS_PROXY",  "NO_PROXY"};

bool IsHexSha(absl::string_view sha) {
  if (sha.size() != 40 && sha.size() != 64) {
    return false;
  }
  for (char c : sha) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) {
      return false;
    }
  }
  return true;
}

bool IsHttps(absl::string_view url) { return absl::StartsWithIgnoreCase(url, "https://"); }

bool HasAllowedScheme(absl::string_view url) {
  for (absl::string_view scheme : {"https://", "http://", "ssh://", "git://", "file://"}) {
    if (absl::StartsWithIgnoreCase(url, scheme)) {
      return true;
    }
  }
  return false;
}

bool HasControlOrSpace(absl::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

// A branch name that cannot be mistaken for an option or a refspec.
bool IsPlainBranch(absl::string_view branch) {
  return !branch.empty() && branch.front() != '-' && !HasControlOrSpace(branch) &&
         !absl::StrContains(branch, "..") && branch.find_first_of(":^~?*[\\") == branch.npos;
}

// "https://host:port/" of a URL: git's http.<url>.* settings apply to this origin only, so the
// token is not sent to a host a redirect leads to.
std::string Origin(absl::string_view url) {
  size_t start = url.find("://") + 3;
  size_t end = url.find('/', start);
  return absl::StrCat(url.substr(0, end), "/");
}

std::string BasicCredentials(const FetchRequest& request) {
  // GitHub accepts any user name with an installation or personal token; GitLab wants "oauth2".
  absl::string_view user =
      request.provider == controller::Provider::kGitLab ? "oauth2" : "x-access-token";
  return absl::Base64Escape(absl::StrCat(user, ":", request.token->reveal()));
}

std::string ScrubUrlCredentials(std::string text) {
  size_t from = 0;
  while ((from = text.find("://", from)) != std::string::npos) {
    size_t start = from + 3;
    size_t end = text.find_first_of("/ \t\r\n'\"", start);
    absl::string_view authority =
        absl::string_view(text).substr(start, end == std::string::npos ? end : end - start);
    size_t at = authority.rfind('@');
    if (at != absl::string_view::npos) {
      text.replace(start, at, kRedacted);
      start += sizeof(kRedacted) - 1;
    }
    from = start;
  }
  return text;
}

// The last lines of git's output, short enough for a status message.
std::string Tail(absl::string_view output) {
  output = absl::StripTrailingAsciiWhitespace(output);
  if (output.size() > kMaxMessage) {
    output = output.substr(output.size() - kMaxMessage);
  }
  std::string text = absl::StrReplaceAll(output, {{"\n", "; "}, {"\r", ""}});
  return text.empty() ? "git printed nothing" : text;
}

absl::Status CheckRequest(const FetchRequest& request) {
  if (!HasAllowedScheme(request.url) || HasControlOrSpace(request.url)) {
    return absl::InvalidArgumentError(
        absl::StrCat("clone URL \"", Scrub(request.url, request), "\" must start with https://, ",
                     "http://, ssh://, git:// or file:// and contain no spaces"));
  }
  if (!IsHexSha(request.sha)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", request.sha, "\" is not a full commit id (40 hexadecimal digits)"));
  }
  if (request.token.has_value() && !request.token->empty() && !IsHttps(request.url)) {
    return absl::InvalidArgumentError(
        "a git token is only ever sent over https://; use an https:// clone URL");
  }
  if (request.dir.empty()) {
    return absl::InvalidArgumentError("no directory to fetch into");
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> CandidateRefs(const FetchRequest& request) {
  std::vector<std::string> refs = {request.sha};
  if (request.number > 0) {
    refs.push_back(request.provider == controller::Provider::kGitLab
                       ? absl::StrCat("refs/merge-requests/", request.number, "/head")
                       : absl::StrCat("refs/pull/", request.number, "/head"));
  }
  if (IsPlainBranch(request.head_ref)) {
    refs.push_back(absl::StrCat("refs/heads/", request.head_ref));
  }
  return refs;
}

std::string Scrub(absl::string_view text, const FetchRequest& request) {
  std::string scrubbed(text);
  if (request.token.has_value() && !request.token->empty()) {
    scrubbed = absl::StrReplaceAll(
        scrubbed, {{BasicCredentials(request), kRedacted}, {request.token->reveal(), kRedacted}});
  }
  return ScrubUrlCredentials(std::move(scrubbed));
}

std::vector<std::string> GitFetcher::Environment(const FetchRequest& request) const {
  std::vector<std::string> env = {"GIT_TERMINAL_PROMPT=0", "LC_ALL=C",
                                  "GIT_ALLOW_PROTOCOL=https:http:ssh:git:file"};
  for (const char* name : kInherited) {
    if (const char* value = std::getenv(name)) {
      env.push_back(absl::StrCat(name, "=", value));
    }
  }
  if (std::getenv("GIT_SSH_COMMAND") == nullptr) {
    env.push_back("GIT_SSH_COMMAND=ssh -o BatchMode=yes");  // fail rather than ask
  }

  // Configuration through the environment (git 2.31+) keeps the token off every command line.
  std::vector<std::pair<std::string, std::string>> config(options_.config.begin(),
                                                          options_.config.end());
  if (request.token.has_value() && !request.token->empty() && IsHttps(request.url)) {
    config.emplace_back(absl::StrCat("http.", Origin(request.url), ".extraHeader"),
                        absl::StrCat("Authorization: Basic ", BasicCredentials(request)));
  }
  env.push_back(absl::StrCat("GIT_CONFIG_COUNT=", config.size()));
  for (size_t i = 0; i < config.size(); ++i) {
    env.push_back(absl::StrCat("GIT_CONFIG_KEY_", i, "=", config[i].first));
    env.push_back(absl::StrCat("GIT_CONFIG_VALUE_", i, "=", config[i].second));
  }
  return env;
}

absl::Status GitFetcher::Git(const FetchRequest& request, const std::vector<std::string>& args,
                             absl::Time deadline, const CancelToken& cancel,
                             std::string* output) const {
  // git runs in the checkout; `-C` repeats it so that no configuration of the parent's working
  // directory can apply. Absolute, since a relative `-C` would be taken from inside the checkout.
  std::error_code error;
  std::string dir = std::filesystem::absolute(request.dir, error).string();
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot resolve the checkout directory ", request.dir, ": ", error.message()));
  }
  std::vector<std::string> argv = {options_.git, "-C", dir};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<ProcessResult> result =
      ChildProcess::Run(argv, Environment(request), dir, deadline - absl::Now(), &cancel);
  if (!result.ok()) {
    return result.status();
  }
  *output = Scrub(result->output, request);
  if (result->exit_code != 0) {
    return absl::UnavailableError(Tail(*output));
  }
  return absl::OkStatus();
}

absl::Status GitFetcher::FetchInto(const FetchRequest& request, absl::Time deadline,
                                   const CancelToken& cancel) const {
  std::string output;
  absl::Status status = Git(request, {"init", "--quiet"}, deadline, cancel, &output);
  if (!status.ok()) {
    return status;
  }

  std::string url = Scrub(request.url, request);
  std::string problems;
  for (const std::string& ref : CandidateRefs(request)) {
    status = Git(request, {"fetch", "--quiet", "--depth", "1", "--no-tags", request.url, ref},
                 deadline, cancel, &output);
    if (absl::IsDeadlineExceeded(status) || absl::IsCancelled(status)) {
      return status;
    }
    if (!status.ok()) {
      absl::StrAppend(&problems, problems.empty() ? "" : " | ", ref, ": ", status.message());
      continue;
    }

    // A ref may have moved on since the webhook; only the wanted commit will do.
    status =
        Git(request, {"rev-parse", "--verify", "FETCH_HEAD^{commit}"}, deadline, cancel, &output);
    std::string found(absl::StripAsciiWhitespace(output));
    if (status.ok() && found == request.sha) {
      return Git(
          request,
          {"-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", request.sha},
          deadline, cancel, &output);
    }
    absl::StrAppend(&problems, problems.empty() ? "" : " | ", ref, ": has commit ",
                    found.substr(0, 12), " instead (a newer push may have replaced it)");
  }
  return absl::NotFoundError(absl::StrCat("git could not fetch commit ", request.sha.substr(0, 12),
                                          " from ", url, ": ", problems));
}

absl::Status GitFetcher::Fetch(const FetchRequest& request, const CancelToken& cancel) const {
  absl::Status status = CheckRequest(request);
  if (!status.ok()) {
    return status;
  }
  if (mkdir(request.dir.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot create the checkout directory ",
                                                      request.dir, ": ", std::strerror(errno)));
  }

  absl::Time start = absl::Now();
  status = FetchInto(request, start + options_.timeout, cancel);
  if (!status.ok()) {
    std::error_code ignored;
    std::filesystem::remove_all(request.dir, ignored);
    return status;
  }
  log::Info("source fetched")
      .With("sha", absl::AlphaNum(request.sha.substr(0, 12)))
      .With("took_ms", absl::ToInt64Milliseconds(absl::Now() - start));
  return absl::OkStatus();
}

}  // namespace prevu::reconciler::git

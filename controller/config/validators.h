// Checks of the names, paths and addresses written in configuration values. Each returns
// InvalidArgument with a sentence that quotes the value and says what a valid one looks like.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace prevu::controller {

// A DNS name of letters, digits and hyphens in labels of 1 to 63 characters, 253 at most in
// all, with no label starting or ending with a hyphen and no trailing dot.
absl::Status CheckDnsName(absl::string_view name);

// The name of a Prevu instance on a shared Docker host: 1 to 32 lower-case letters, digits and
// hyphens, starting and ending with a letter or digit. It goes into Docker labels, container and
// network names and image repository names, which all accept that alphabet.
absl::Status CheckInstanceName(absl::string_view name);

// The host name template of previews: DNS label characters and the placeholders `{number}`
// (required), `{repo}`, `{owner}` and `{provider}`. No dots, so that every preview stays one
// label below the domain and a wildcard certificate covers it.
absl::Status CheckHostTemplate(absl::string_view host_template);

// An environment variable or build argument name: a letter or `_`, then letters, digits or `_`.
absl::Status CheckEnvName(absl::string_view name);

// A path inside the repository: not empty, not absolute, and no `..` that climbs above the root.
absl::Status CheckRelativePath(absl::string_view path);

// A git clone URL with scheme https, http, ssh, git or file, or scp-like `user@host:path`.
absl::Status CheckCloneUrl(absl::string_view url);

// An absolute http or https URL with a host.
absl::Status CheckHttpUrl(absl::string_view url);

// An HTTP header field name (RFC 9110 section 5.1: a token).
absl::Status CheckHeaderName(absl::string_view name);

// A repository path: `owner/name`, or a nested GitLab path `group/sub/project`.
absl::Status CheckRepoName(absl::string_view name);

// An e-mail address for the ACME account: `local@domain` with a dotted domain.
absl::Status CheckEmail(absl::string_view email);

// The path of a health check request: starts with `/`, printable ASCII without spaces.
absl::Status CheckUrlPath(absl::string_view path);

}  // namespace prevu::controller

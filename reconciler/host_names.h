// Host names of previews: `[proxy] host_template` expanded for a preview key, made a valid DNS
// label, unique among all open previews, under `[proxy] domain`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controller/config/host_config.h"
#include "controller/preview.h"

namespace prevu::reconciler {

// `text` as a DNS label: lower case, [a-z0-9-] only, runs of other characters folded into one
// '-', none at either end, at most `limit` characters. May be empty.
std::string DnsLabel(absl::string_view text, size_t limit);

class HostNames {
 public:
  // Placeholders in the template: {number}, {repo} (the last path segment), {owner} (the path
  // before it), {provider}. Anything else is kept as text and sanitised.
  // URLs use `proxy.listen`'s port and `scheme` ("https" when previews are served over TLS; the
  // caller then gives the TLS listener's address as `proxy.listen`).
  explicit HostNames(const controller::ProxyConfig& proxy, absl::string_view scheme = "http");

  // The template expanded for `key` and made a DNS label: lower case, only [a-z0-9-], no
  // leading, trailing or doubled '-', at most 63 characters. Never empty.
  std::string Label(const controller::PreviewKey& key) const;

  // Full host names for `keys`, in the same order. Where labels collide, the first key in key
  // order keeps the plain label and the others get "-" and six hex digits of a hash of their
  // key, so the result depends only on the set of keys, not on their order.
  std::vector<std::string> Assign(const std::vector<const controller::PreviewKey*>& keys) const;

  // The same with each key's Label() given in `labels` (same order and size): the loop computes a
  // label once per preview, not once per pass. The strings must outlive the call.
  std::vector<std::string> Assign(const std::vector<const controller::PreviewKey*>& keys,
                                  const std::vector<absl::string_view>& labels) const;

  // "<scheme>://<host>:<port>", without the port when it is the scheme's default (80 or 443).
  std::string Url(const std::string& host) const;

 private:
  std::string Host(absl::string_view label) const;

  std::string template_;
  std::string domain_;
  std::string scheme_;       // "http" or "https"
  std::string port_suffix_;  // ":8080", or "" for the scheme's default port
};

}  // namespace prevu::reconciler

// Host names of previews; see host_names.h.
#include "reconciler/host_names.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "reconciler/spec_hash.h"

namespace prevu::reconciler {
namespace {

constexpr size_t kMaxLabel = 63;  // RFC 1035 section 2.3.4
constexpr size_t kSuffixBytes = 3;

std::string Port(absl::string_view listen, absl::string_view scheme) {
  absl::string_view default_port = scheme == "https" ? "443" : "80";
  size_t colon = listen.rfind(':');
  absl::string_view port =
      colon == absl::string_view::npos ? default_port : listen.substr(colon + 1);
  return port == default_port ? "" : absl::StrCat(":", port);
}

}  // namespace

std::string DnsLabel(absl::string_view text, size_t limit) {
  std::string label;
  for (char ch : text) {
    char c = absl::ascii_tolower(static_cast<unsigned char>(ch));
    bool keep = absl::ascii_isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'z');
    if (keep) {
      label.push_back(c);
    } else if (!label.empty() && label.back() != '-') {
      label.push_back('-');
    }
  }

  if (label.size() > limit) {
    label.resize(limit);
  }
  while (!label.empty() && label.back() == '-') {
    label.pop_back();
  }
  return label;
}

HostNames::HostNames(const controller::ProxyConfig& proxy, absl::string_view scheme)
    : template_(proxy.host_template),
      domain_(absl::AsciiStrToLower(proxy.domain)),
      scheme_(scheme),
      port_suffix_(Port(proxy.listen, scheme)) {}

std::string HostNames::Label(const controller::PreviewKey& key) const {
  absl::string_view repo = key.repo;
  size_t slash = repo.rfind('/');
  absl::string_view name = slash == absl::string_view::npos ? repo : repo.substr(slash + 1);
  absl::string_view owner = slash == absl::string_view::npos ? "" : repo.substr(0, slash);

  // One pass over the template; this runs for every open preview on every reconcile pass.
  std::string expanded;
  absl::string_view rest = template_;
  while (!rest.empty()) {
    if (absl::ConsumePrefix(&rest, "{number}")) {
      absl::StrAppend(&expanded, key.number);
    } else if (absl::ConsumePrefix(&rest, "{repo}")) {
      expanded.append(name.data(), name.size());
    } else if (absl::ConsumePrefix(&rest, "{owner}")) {
      expanded.append(owner.data(), owner.size());
    } else if (absl::ConsumePrefix(&rest, "{provider}")) {
      absl::StrAppend(&expanded, ProviderName(key.provider));
    } else {
      expanded.push_back(rest.front());
      rest.remove_prefix(1);
    }
  }
  std::string label = DnsLabel(expanded, kMaxLabel);
  return label.empty() ? absl::StrCat("preview-", key.number) : label;
}

std::vector<std::string> HostNames::Assign(
    const std::vector<const controller::PreviewKey*>& keys) const {
  std::vector<std::string> labels;
  labels.reserve(keys.size());
  for (const controller::PreviewKey* key : keys) {
    labels.push_back(Label(*key));
  }
  return Assign(keys, std::vector<absl::string_view>(labels.begin(), labels.end()));
}

std::vector<std::string> HostNames::Assign(const std::vector<const controller::PreviewKey*>& keys,
                                           const std::vector<absl::string_view>& labels) const {
  absl::flat_hash_map<absl::string_view, size_t> first;  // label -> index of its smallest key
  first.reserve(keys.size());
  bool collided = false;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto [it, inserted] = first.try_emplace(labels[i], i);
    if (!inserted) {
      collided = true;
      if (*keys[i] < *keys[it->second]) {
        it->second = i;
      }
    }
  }

  std::vector<std::string> hosts;
  hosts.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    // Without any collision (the usual case) every label is its own; no second lookup.
    if (!collided || first.at(labels[i]) == i) {
      hosts.push_back(Host(labels[i]));
      continue;
    }
    std::string suffix = ShortDigest(keys[i]->ToString(), kSuffixBytes);
    std::string base = DnsLabel(labels[i], kMaxLabel - suffix.size() - 1);
    hosts.push_back(Host(absl::StrCat(base, "-", suffix)));
  }
  return hosts;
}

std::string HostNames::Url(const std::string& host) const {
  return absl::StrCat(scheme_, "://", host, port_suffix_);
}

std::string HostNames::Host(absl::string_view label) const {
  if (domain_.empty()) {
    return std::string(label);
  }
  return absl::StrCat(label, ".", domain_);
}

}  // namespace prevu::reconciler

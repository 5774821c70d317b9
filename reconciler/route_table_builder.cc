// See route_table_builder.h.
#include "reconciler/route_table_builder.h"

namespace prevu::reconciler {

std::optional<std::vector<proxy::Route>> RouteTableBuilder::Update(
    const std::vector<Target>& targets) {
  switch (Compare(targets)) {
    case Change::kNone:
      return std::nullopt;
    case Change::kUpstreams:
      for (size_t i = 0; i < targets.size(); ++i) {
        TakeUpstream(targets[i], made_[i]);
      }
      break;
    case Change::kKeys:
      Remember(targets);
      break;
  }

  std::vector<proxy::Route> routes;
  routes.reserve(made_.size());
  for (const Made& m : made_) {
    proxy::Route& route = routes.emplace_back();
    route.host = m.host;
    route.ready = m.ready;
    route.upstream_host = m.upstream_host;
    route.upstream_port = m.upstream_port;
    route.auth = m.auth;
  }
  return routes;
}

void RouteTableBuilder::Remember(const std::vector<Target>& targets) {
  std::vector<const controller::PreviewKey*> keys;
  std::vector<absl::string_view> labels;
  keys.reserve(targets.size());
  labels.reserve(targets.size());
  for (const Target& target : targets) {
    keys.push_back(target.key);
    labels.push_back(target.label);
  }
  std::vector<std::string> hosts = names_.Assign(keys, labels);

  made_.clear();
  made_.reserve(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    Made& m = made_.emplace_back();
    m.key_id = *targets[i].key_id;
    m.host = std::move(hosts[i]);
    TakeUpstream(targets[i], m);
  }
  made_any_ = true;
}

void RouteTableBuilder::TakeUpstream(const Target& target, Made& made) {
  made.ready = target.ready;
  made.upstream_host = std::string(target.upstream_host);
  made.upstream_port = target.upstream_port;
  made.auth = target.auth;
}

RouteTableBuilder::Change RouteTableBuilder::Compare(const std::vector<Target>& targets) const {
  if (!made_any_ || targets.size() != made_.size()) {
    return Change::kKeys;
  }
  // Host names depend only on the keys (labels come from the keys and the fixed template), so
  // the same keys in the same order make the same host names. Keys compare as CompactIds, inside
  // the objects: this runs for every preview on every pass.
  Change change = Change::kNone;
  for (size_t i = 0; i < targets.size(); ++i) {
    const Target& t = targets[i];
    const Made& m = made_[i];
    if (*t.key_id != m.key_id) {
      return Change::kKeys;
    }
    if (t.ready != m.ready || t.upstream_port != m.upstream_port || t.auth != m.auth ||
        t.upstream_host != m.upstream_host) {
      change = Change::kUpstreams;
    }
  }
  return change;
}

}  // namespace prevu::reconciler

// See route_table_builder.h.
#include "reconciler/route_table_builder.h"

namespace prevu::reconciler {

std::optional<std::vector<proxy::Route>> RouteTableBuilder::Update(
    const std::vector<Target>& targets) {
  if (Unchanged(targets)) {
    return std::nullopt;
  }

  std::vector<const controller::PreviewKey*> keys;
  std::vector<absl::string_view> labels;
  keys.reserve(targets.size());
  labels.reserve(targets.size());
  for (const Target& target : targets) {
    keys.push_back(target.key);
    labels.push_back(target.label);
  }
  std::vector<std::string> hosts = names_.Assign(keys, labels);

  std::vector<proxy::Route> routes;
  routes.reserve(targets.size());
  made_.clear();
  made_.reserve(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    const Target& t = targets[i];
    proxy::Route& route = routes.emplace_back();
    route.host = std::move(hosts[i]);
    route.ready = t.ready;
    route.upstream_host = std::string(t.upstream_host);
    route.upstream_port = t.upstream_port;
    route.auth = t.auth;
    made_.push_back(Made{*t.key_id, t.ready, route.upstream_host, t.upstream_port, t.auth});
  }
  made_any_ = true;
  return routes;
}

bool RouteTableBuilder::Unchanged(const std::vector<Target>& targets) const {
  if (!made_any_ || targets.size() != made_.size()) {
    return false;
  }
  // Host names depend only on the keys (labels come from the keys and the fixed template), so
  // the same keys in the same order with the same upstreams make the same table. Keys compare
  // as CompactIds, inside the objects: this runs for every preview on every pass.
  for (size_t i = 0; i < targets.size(); ++i) {
    const Target& t = targets[i];
    const Made& m = made_[i];
    if (t.ready != m.ready || t.upstream_port != m.upstream_port || t.auth != m.auth ||
        *t.key_id != m.key_id || t.upstream_host != m.upstream_host) {
      return false;
    }
  }
  return true;
}

}  // namespace prevu::reconciler

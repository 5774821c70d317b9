// The published route table; see route_store.h.
#include "proxy/route_store.h"

#include "controller/base/log.h"

namespace prevu::proxy {

RouteStore::RouteStore() : table_(std::make_shared<RouteTable>()) {}

void RouteStore::Publish(std::vector<Route> routes) {
  size_t given = routes.size();
  std::shared_ptr<const RouteTable> table = RouteTable::Build(std::move(routes));
  size_t kept = table->size();

  uint64_t version = 0;
  {
    absl::MutexLock lock(&mu_);
    table_ = std::move(table);
    version = version_.load(std::memory_order_relaxed) + 1;
    version_.store(version, std::memory_order_release);
  }
  log::Info("routes published").With("routes", kept).With("given", given).With("version", version);
}

std::shared_ptr<const RouteTable> RouteStore::Current(uint64_t* version) const {
  absl::MutexLock lock(&mu_);
  *version = version_.load(std::memory_order_relaxed);
  return table_;
}

}  // namespace prevu::proxy

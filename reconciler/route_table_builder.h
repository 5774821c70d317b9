// The proxy's whole route table, built from the route targets of each reconcile pass. A pass in
// which no route moved (the usual case: thousands of previews, nothing new) yields the table the
// proxy already serves; the builder notices that with one comparison per preview and builds,
// allocates and publishes nothing. When only upstreams moved (a push replaced a container), the
// host names of the last table are used again instead of being worked out anew.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "controller/preview.h"
#include "proxy/route_publisher.h"
#include "reconciler/compact_id.h"
#include "reconciler/host_names.h"

namespace prevu::reconciler {

class RouteTableBuilder {
 public:
  // Where one open preview's host name goes; the strings and the keys must outlive Update().
  struct Target {
    const controller::PreviewKey* key = nullptr;
    const CompactId* key_id = nullptr;  // key->ToString(), which the caller keeps
    absl::string_view label;            // HostNames::Label(*key), which the caller computes once
    bool ready = false;
    absl::string_view upstream_host;
    uint16_t upstream_port = 0;
    proxy::RouteAuth auth = proxy::RouteAuth::kDefault;
  };

  explicit RouteTableBuilder(HostNames names) : names_(std::move(names)) {}

  // The table for `targets` (one route per target, in the same order, with host names made
  // unique across the table by HostNames::Assign), or nullopt when it would be exactly the table
  // of the last call that returned one. Not thread-safe: one caller (the loop thread).
  std::optional<std::vector<proxy::Route>> Update(const std::vector<Target>& targets);

  const HostNames& names() const { return names_; }

 private:
  enum class Change { kNone, kUpstreams, kKeys };

  // What the last table was made from, with the host name given to each key.
  struct Made {
    CompactId key_id;
    bool ready = false;
    std::string upstream_host;
    uint16_t upstream_port = 0;
    proxy::RouteAuth auth = proxy::RouteAuth::kDefault;
    std::string host;
  };

  // How `targets` differ from what the last table was made from.
  Change Compare(const std::vector<Target>& targets) const;
  void Remember(const std::vector<Target>& targets);
  // Where `target` goes: everything of it but its key and host name.
  static void TakeUpstream(const Target& target, Made& made);

  const HostNames names_;
  bool made_any_ = false;
  std::vector<Made> made_;
};

}  // namespace prevu::reconciler

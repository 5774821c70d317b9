// The webhook receivers, POST /hooks/github and POST /hooks/gitlab: authenticate the delivery
// before looking at its body, recognise redeliveries, turn the payload into a WebhookEvent, check
// the repository against the `[[repos]]` allow-list and write the desired store. Every delivery
// ends in one log line and one count in prevu_webhook_deliveries_total{provider,result}.
#pragma once

#include <array>
#include <cstddef>

#include "absl/strings/string_view.h"
#include "api/delivery_memory.h"
#include "api/http_request.h"
#include "api/http_response.h"
#include "api/webhook_event.h"
#include "controller/base/clock.h"
#include "controller/base/metrics.h"
#include "controller/config/config_holder.h"
#include "controller/config/host_config.h"
#include "controller/desired_store.h"

namespace prevu::api {

// How one delivery ended; the `result` label of the deliveries counter.
enum class DeliveryResult {
  kAccepted,      // 202, written to the store
  kPing,          // 200
  kIgnored,       // 200, nothing to do
  kDuplicate,     // 200, a redelivery of an id already handled
  kUnauthorized,  // 401
  kMalformed,     // 400
  kForbidden,     // 403, not in the allow-list
  kTooLarge,      // 413, refused by the server before the body was read
  kUnavailable,   // 503, the store could not record it; the forge retries
};
inline constexpr size_t kDeliveryResultCount = 9;

absl::string_view DeliveryResultName(DeliveryResult result);

class WebhookReceiver {
 public:
  // None may be null; all must outlive the receiver. `config` is read once per delivery, so a
  // reload applies from the next one. `memory_size` bounds the remembered delivery ids per forge.
  // Registers its metrics in `metrics`.
  WebhookReceiver(const controller::ConfigHolder* config, controller::DesiredStore* store,
                  base::MetricsRegistry* metrics, const base::Clock* clock,
                  size_t memory_size = 10'000);

  // Both are thread-safe and block while the store syncs the write to disk.
  HttpResponse ReceiveGitHub(const HttpRequest& request);
  HttpResponse ReceiveGitLab(const HttpRequest& request);

  // Counts and logs a delivery that the server refused before reading its body (413).
  void RecordRefused(controller::Provider provider, const HttpRequest& head,
                     const HttpResponse& response);

 private:
  struct Delivery;

  HttpResponse Apply(Delivery& delivery, absl::StatusOr<WebhookEvent> event,
                     DeliveryMemory& memory);
  HttpResponse Write(Delivery& delivery, const WebhookEvent& event);
  HttpResponse Finish(Delivery& delivery, DeliveryResult result, HttpResponse response);
  HttpResponse Fail(Delivery& delivery, DeliveryResult result, int status,
                    absl::string_view message);

  const controller::ConfigHolder* const config_;
  controller::DesiredStore* const store_;
  const base::Clock* const clock_;
  DeliveryMemory github_memory_;
  DeliveryMemory gitlab_memory_;
  // [provider][result]; provider index 0 is GitHub, 1 GitLab.
  std::array<std::array<base::Counter*, kDeliveryResultCount>, 2> deliveries_{};
  std::array<base::Histogram*, 2> durations_{};
};

}  // namespace prevu::api

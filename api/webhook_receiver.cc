// The webhook receivers; see webhook_receiver.h.
#include "api/webhook_receiver.h"

#include <chrono>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/github_event.h"
#include "api/gitlab_event.h"
#include "api/webhook_signature.h"
#include "controller/base/log.h"
#include "nlohmann/json.hpp"

namespace prevu::api {
namespace {

using controller::Provider;

constexpr std::array<DeliveryResult, kDeliveryResultCount> kAllResults = {
    DeliveryResult::kAccepted,  DeliveryResult::kPing,         DeliveryResult::kIgnored,
    DeliveryResult::kDuplicate, DeliveryResult::kUnauthorized, DeliveryResult::kMalformed,
    DeliveryResult::kForbidden, DeliveryResult::kTooLarge,     DeliveryResult::kUnavailable,
};

// Header values reach the log before the delivery is authenticated; a bound keeps them short.
constexpr size_t kMaxLoggedHeader = 128;

size_t ProviderIndex(Provider provider) { return provider == Provider::kGitHub ? 0 : 1; }

absl::string_view Bounded(absl::string_view header) { return header.substr(0, kMaxLoggedHeader); }

}  // namespace

absl::string_view DeliveryResultName(DeliveryResult result) {
  switch (result) {
    case DeliveryResult::kAccepted:
      return "accepted";
    case DeliveryResult::kPing:
      return "ping";
    case DeliveryResult::kIgnored:
      return "ignored";
    case DeliveryResult::kDuplicate:
      return "duplicate";
    case DeliveryResult::kUnauthorized:
      return "unauthorized";
    case DeliveryResult::kMalformed:
      return "malformed";
    case DeliveryResult::kForbidden:
      return "forbidden";
    case DeliveryResult::kTooLarge:
      return "too_large";
    case DeliveryResult::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}

// What the log line of one delivery says; filled in as the delivery is handled.
struct WebhookReceiver::Delivery {
  Provider provider;
  std::string id;  // X-GitHub-Delivery, Idempotency-Key or X-Gitlab-Event-UUID; may be empty
  std::string event;
  std::string action;
  std::string key;
  std::string error;  // the message of an error answer
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

WebhookReceiver::WebhookReceiver(const controller::ConfigHolder* config,
                                 controller::DesiredStore* store, base::MetricsRegistry* metrics,
                                 const base::Clock* clock, size_t memory_size)
    : config_(config),
      store_(store),
      clock_(clock),
      github_memory_(memory_size),
      gitlab_memory_(memory_size) {
  for (Provider provider : {Provider::kGitHub, Provider::kGitLab}) {
    size_t p = ProviderIndex(provider);
    for (DeliveryResult result : kAllResults) {
      deliveries_[p][static_cast<size_t>(result)] = metrics->AddCounter(
          "prevu_webhook_deliveries_total", "Webhook deliveries by forge and outcome.",
          absl::StrCat("provider=\"", controller::ProviderName(provider), "\",result=\"",
                       DeliveryResultName(result), "\""));
    }
    durations_[p] = metrics->AddHistogram(
        "prevu_webhook_duration_seconds",
        "Time from a complete webhook request to its answer, store sync included.",
        absl::StrCat("provider=\"", controller::ProviderName(provider), "\""),
        base::LatencyBuckets());
  }
}

HttpResponse WebhookReceiver::ReceiveGitHub(const HttpRequest& request) {
  Delivery delivery{.provider = Provider::kGitHub,
                    .id = std::string(Bounded(request.Header("x-github-delivery"))),
                    .event = std::string(Bounded(request.Header("x-github-event")))};

  // Nothing of the body is looked at before the signature over it is verified.
  std::shared_ptr<const controller::HostConfig> config = config_->Get();
  const std::optional<controller::Secret>& secret = config->github.webhook_secret;
  if (!secret || secret->empty()) {
    return Fail(delivery, DeliveryResult::kUnauthorized, 401,
                "the GitHub webhook secret is not configured: set PREVU_GITHUB_SECRET (or "
                "[github] webhook_secret in prevu.toml) to the secret of the GitHub webhook");
  }
  absl::Status verified =
      VerifyGitHubSignature(secret->reveal(), request.Header("x-hub-signature-256"), request.body);
  if (!verified.ok()) {
    return Fail(delivery, DeliveryResult::kUnauthorized, 401, verified.message());
  }

  // GitHub can also send the payload form-encoded; only the JSON form is read.
  if (absl::StartsWith(request.Header("content-type"), "application/x-www-form-urlencoded")) {
    return Fail(delivery, DeliveryResult::kMalformed, 400,
                "the payload is form-encoded; set the GitHub webhook's content type to "
                "application/json");
  }
  return Apply(delivery, ParseGitHubEvent(request.Header("x-github-event"), request.body),
               github_memory_);
}

HttpResponse WebhookReceiver::ReceiveGitLab(const HttpRequest& request) {
  absl::string_view id = request.Header("idempotency-key");
  if (id.empty()) {
    id = request.Header("x-gitlab-event-uuid");
  }
  Delivery delivery{.provider = Provider::kGitLab,
                    .id = std::string(Bounded(id)),
                    .event = std::string(Bounded(request.Header("x-gitlab-event")))};

  // Nothing of the body is looked at before the token, and the signature if any, are verified.
  std::shared_ptr<const controller::HostConfig> config = config_->Get();
  const std::optional<controller::Secret>& token = config->gitlab.webhook_token;
  if (!token || token->empty()) {
    return Fail(delivery, DeliveryResult::kUnauthorized, 401,
                "the GitLab webhook token is not configured: set PREVU_GITLAB_TOKEN (or "
                "[gitlab] webhook_token in prevu.toml) to the secret token of the GitLab webhook");
  }
  absl::string_view given = request.Header("x-gitlab-token");
  if (given.empty() || !ConstantTimeEquals(given, token->reveal())) {
    return Fail(delivery, DeliveryResult::kUnauthorized, 401,
                given.empty() ? "missing X-Gitlab-Token header; set the webhook's secret token in "
                                "GitLab to PREVU_GITLAB_TOKEN"
                              : "X-Gitlab-Token does not match PREVU_GITLAB_TOKEN");
  }
  absl::string_view signature = request.Header("webhook-signature");
  if (!signature.empty()) {
    absl::Status verified = VerifyStandardWebhook(token->reveal(), request.Header("webhook-id"),
                                                  request.Header("webhook-timestamp"), signature,
                                                  request.body, clock_->Now());
    if (!verified.ok()) {
      return Fail(delivery, DeliveryResult::kUnauthorized, 401, verified.message());
    }
  }

  return Apply(delivery, ParseGitLabEvent(request.Header("x-gitlab-event"), request.body),
               gitlab_memory_);
}

void WebhookReceiver::RecordRefused(Provider provider, const HttpRequest& head,
                                    const HttpResponse& response) {
  Delivery delivery{.provider = provider};
  if (provider == Provider::kGitHub) {
    delivery.id = std::string(Bounded(head.Header("x-github-delivery")));
    delivery.event = std::string(Bounded(head.Header("x-github-event")));
  } else {
    delivery.id = std::string(Bounded(head.Header("x-gitlab-event-uuid")));
    delivery.event = std::string(Bounded(head.Header("x-gitlab-event")));
  }
  bool too_large = response.status == 413;
  delivery.error = too_large ? "the body is over the size limit" : "malformed HTTP request";
  Finish(delivery, too_large ? DeliveryResult::kTooLarge : DeliveryResult::kMalformed, response);
}

HttpResponse WebhookReceiver::Apply(Delivery& delivery, absl::StatusOr<WebhookEvent> event,
                                    DeliveryMemory& memory) {
  // Only authenticated ids are remembered, so nobody else can make a real delivery look old.
  if (!delivery.id.empty() && memory.Contains(delivery.id)) {
    return Finish(delivery, DeliveryResult::kDuplicate,
                  HttpResponse::Json(200, {{"duplicate", true}, {"delivery", delivery.id}}));
  }
  if (!event.ok()) {
    return Fail(delivery, DeliveryResult::kMalformed, 400, event.status().message());
  }
  delivery.action = event->action;

  if (event->kind == WebhookEvent::Kind::kUpsert || event->kind == WebhookEvent::Kind::kClose) {
    return Write(delivery, *event);
  }

  if (!delivery.id.empty()) {
    memory.Remember(delivery.id);
  }
  if (event->kind == WebhookEvent::Kind::kPing) {
    return Finish(delivery, DeliveryResult::kPing, HttpResponse::Json(200, {{"ping", "pong"}}));
  }
  return Finish(delivery, DeliveryResult::kIgnored,
                HttpResponse::Json(200, {{"ignored", event->reason}}));
}

HttpResponse WebhookReceiver::Write(Delivery& delivery, const WebhookEvent& event) {
  delivery.key = event.key.ToString();

  // With an allow-list, only its repositories are served; its clone_url overrides the payload's.
  std::shared_ptr<const controller::HostConfig> config = config_->Get();
  const controller::RepoEntry* entry = config->FindRepo(event.key.provider, event.key.repo);
  if (!config->repos.empty() && entry == nullptr) {
    return Fail(delivery, DeliveryResult::kForbidden, 403,
                absl::StrCat("repository `", event.key.repo,
                             "` is not in the [[repos]] allow-list of prevu.toml"));
  }
  controller::SpecUpdate update = event.update;
  if (entry != nullptr && !entry->clone_url.empty()) {
    update.clone_url = entry->clone_url;
  }

  absl::StatusOr<controller::WriteResult> written = event.kind == WebhookEvent::Kind::kUpsert
                                                        ? store_->Upsert(event.key, update)
                                                        : store_->Close(event.key);
  if (absl::IsNotFound(written.status()) && event.kind == WebhookEvent::Kind::kClose) {
    // A request closed before Prevu ever saw it opened: there is nothing to remove.
    return Finish(delivery, DeliveryResult::kIgnored,
                  HttpResponse::Json(200, {{"ignored", absl::StrCat("no preview for ", delivery.key,
                                                                    "; nothing to close")}}));
  }
  if (!written.ok()) {
    // Never 202 for what is not on disk: the forge retries a 5xx later.
    return Fail(delivery, DeliveryResult::kUnavailable, 503,
                absl::StrCat("the desired store could not record the delivery: ",
                             written.status().message()));
  }

  DeliveryMemory& memory = delivery.provider == Provider::kGitHub ? github_memory_ : gitlab_memory_;
  if (!delivery.id.empty()) {
    memory.Remember(delivery.id);
  }
  return Finish(delivery, DeliveryResult::kAccepted,
                HttpResponse::Json(202, {{"key", delivery.key},
                                         {"generation", written->generation},
                                         {"changed", written->changed}}));
}

HttpResponse WebhookReceiver::Finish(Delivery& delivery, DeliveryResult result,
                                     HttpResponse response) {
  size_t p = ProviderIndex(delivery.provider);
  deliveries_[p][static_cast<size_t>(result)]->Add();
  auto took = std::chrono::steady_clock::now() - delivery.start;
  durations_[p]->Observe(std::chrono::duration<double>(took).count());

  bool failed = response.status >= 400;
  log::Line line(failed ? log::Level::kWarn : log::Level::kInfo, "webhook delivery");
  line.With("provider", controller::ProviderName(delivery.provider))
      .With("delivery", delivery.id)
      .With("event", delivery.event)
      .With("action", delivery.action)
      .With("key", delivery.key)
      .With("result", DeliveryResultName(result))
      .With("status", response.status)
      .With("took_us", std::chrono::duration_cast<std::chrono::microseconds>(took).count());
  if (failed) {
    line.With("error", delivery.error);
  }
  return response;
}

HttpResponse WebhookReceiver::Fail(Delivery& delivery, DeliveryResult result, int status,
                                   absl::string_view message) {
  // Error messages name headers and settings, never a secret or a signature.
  delivery.error = std::string(message);
  return Finish(delivery, result, HttpResponse::Error(status, message));
}

}  // namespace prevu::api

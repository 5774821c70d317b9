// Routing of the control-plane API; see api_service.h.
#include "api/api_service.h"

#include <array>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/dashboard_page.h"

namespace prevu::api {
namespace {

constexpr absl::string_view kPreviewsPath = "/api/v1/previews";

constexpr std::array<controller::Phase, 7> kAllPhases = {
    controller::Phase::kPending,  controller::Phase::kFetching, controller::Phase::kBuilding,
    controller::Phase::kStarting, controller::Phase::kReady,    controller::Phase::kFailed,
    controller::Phase::kDeleting,
};

HttpResponse MethodNotAllowed(absl::string_view allowed) {
  HttpResponse response = HttpResponse::Error(405, absl::StrCat("use ", allowed, " here"));
  response.headers.emplace_back("Allow", std::string(allowed));
  return response;
}

// Renders prevu_previews{phase=...} from the store at scrape time, every phase included so that
// a phase with no preview reads 0 instead of vanishing.
void RenderPreviewsByPhase(const controller::DesiredStore* store, std::string* out) {
  std::array<int64_t, kAllPhases.size()> counts{};
  for (const controller::Preview& preview : store->List()) {
    ++counts[static_cast<size_t>(preview.status.phase)];
  }
  absl::StrAppend(out, "# HELP prevu_previews Previews in the desired store by phase.\n",
                  "# TYPE prevu_previews gauge\n");
  for (controller::Phase phase : kAllPhases) {
    absl::StrAppend(out, "prevu_previews{phase=\"", controller::PhaseName(phase), "\"} ",
                    counts[static_cast<size_t>(phase)], "\n");
  }
}

}  // namespace

ApiService::ApiService(const controller::ConfigHolder* config, controller::DesiredStore* store,
                       base::MetricsRegistry* metrics, const base::Clock* clock,
                       ReadinessCheck readiness)
    : metrics_(metrics),
      readiness_(std::move(readiness)),
      receiver_(config, store, metrics, clock),
      status_(store),
      admin_(config, store) {
  metrics_->AddCollector([store](std::string* out) { RenderPreviewsByPhase(store, out); });
}

HttpResponse ApiService::Handle(const HttpRequest& request) {
  absl::string_view path = request.Path();
  bool get = request.method == "GET";
  bool post = request.method == "POST";

  if (path == "/hooks/github" || path == "/hooks/gitlab") {
    if (!post) {
      return MethodNotAllowed("POST");
    }
    return path == "/hooks/github" ? receiver_.ReceiveGitHub(request)
                                   : receiver_.ReceiveGitLab(request);
  }

  bool known = path == "/" || path == "/healthz" || path == "/readyz" || path == "/metrics" ||
               path == kPreviewsPath || absl::StartsWith(path, absl::StrCat(kPreviewsPath, "/"));
  if (!known) {
    return HttpResponse::Error(404, absl::StrCat("no such path: ", path));
  }
  bool preview_path = absl::StartsWith(path, absl::StrCat(kPreviewsPath, "/"));
  if (preview_path && AdminApi::Handles(request, path.substr(kPreviewsPath.size() + 1))) {
    return admin_.Handle(request, path.substr(kPreviewsPath.size() + 1));
  }
  if (!get) {
    return MethodNotAllowed(preview_path ? "GET, DELETE" : "GET");
  }

  if (path == "/") {
    return HttpResponse::Text(200, DashboardPage(), "text/html; charset=utf-8");
  }
  if (path == "/healthz") {
    return HttpResponse::Text(200, "ok\n");
  }
  if (path == "/readyz") {
    return Readiness();
  }
  if (path == "/metrics") {
    return HttpResponse::Text(200, metrics_->Render(), "text/plain; version=0.0.4");
  }
  if (path == kPreviewsPath) {
    return status_.List();
  }
  return status_.Get(path.substr(kPreviewsPath.size() + 1));
}

void ApiService::OnRefused(const HttpRequest& request, const HttpResponse& response) {
  absl::string_view path = request.Path();
  if (path == "/hooks/github") {
    receiver_.RecordRefused(controller::Provider::kGitHub, request, response);
  } else if (path == "/hooks/gitlab") {
    receiver_.RecordRefused(controller::Provider::kGitLab, request, response);
  }
}

HttpResponse ApiService::Readiness() const {
  absl::Status ready = readiness_ ? readiness_() : absl::OkStatus();
  if (!ready.ok()) {
    return HttpResponse::Text(503, absl::StrCat("not ready: ", ready.message(), "\n"));
  }
  return HttpResponse::Text(200, "ready\n");
}

}  // namespace prevu::api

// Routing, the status API, health and metrics, without sockets.
#include "api/api_service.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/api/fake_desired_store.h"

namespace prevu::api {
namespace {

using controller::PreviewKey;
using controller::Provider;

HttpRequest Get(const std::string& target, const std::string& method = "GET") {
  HttpRequest request;
  request.method = method;
  request.target = target;
  return request;
}

class ApiServiceTest : public ::testing::Test {
 protected:
  ApiServiceTest() {
    Add({Provider::kGitHub, "acme/shop", 12}, controller::Phase::kReady);
    Add({Provider::kGitLab, "platform/web/storefront", 3}, controller::Phase::kBuilding);
  }

  void Add(const PreviewKey& key, controller::Phase phase) {
    ASSERT_TRUE(store_
                    .Upsert(key, {.clone_url = "https://example.com/r.git",
                                  .head_sha = std::string(40, 'a'),
                                  .head_ref = "feature",
                                  .title = "Title"})
                    .ok());
    controller::PreviewStatus status;
    status.phase = phase;
    status.log_tail = "step 1/3\nstep 2/3\n";
    store_.SetStatus(key, status);
  }

  HttpResponse Handle(const HttpRequest& request) { return service_.Handle(request); }

  controller::ConfigHolder config_{controller::HostConfig{}};
  testing::FakeDesiredStore store_;
  base::MetricsRegistry metrics_;
  base::FakeClock clock_;
  absl::Status readiness_ = absl::OkStatus();
  ApiService service_{&config_, &store_, &metrics_, &clock_, [this] { return readiness_; }};
};

TEST_F(ApiServiceTest, ListsPreviewsWithTheContractsFieldNames) {
  HttpResponse response = Handle(Get("/api/v1/previews"));
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  nlohmann::json body = nlohmann::json::parse(response.body);
  ASSERT_EQ(body["previews"].size(), 2u);
  const nlohmann::json& first = body["previews"][0];
  EXPECT_EQ(first["key"], "github/acme/shop#12");
  for (const char* field : {"key", "provider", "repo", "number", "head_sha", "head_ref", "title",
                            "author", "state", "generation", "observed_generation", "phase", "url",
                            "conditions", "error", "created_at", "updated_at"}) {
    EXPECT_TRUE(first.contains(field)) << field;
  }
  EXPECT_EQ(first["phase"], "ready");
  EXPECT_EQ(first["state"], "open");
}

TEST_F(ApiServiceTest, GetsOnePreviewByNestedPathAndEncodedPath) {
  for (const char* target : {"/api/v1/previews/gitlab/platform/web/storefront/3",
                             "/api/v1/previews/gitlab/platform%2Fweb%2Fstorefront/3?x=1"}) {
    HttpResponse response = Handle(Get(target));
    ASSERT_EQ(response.status, 200) << target << ": " << response.body;
    EXPECT_EQ(nlohmann::json::parse(response.body)["key"], "gitlab/platform/web/storefront#3");
  }
}

TEST_F(ApiServiceTest, UnknownPreviewsAre404WithAJsonError) {
  for (const char* target :
       {"/api/v1/previews/github/acme/shop/13", "/api/v1/previews/github/acme/shop",
        "/api/v1/previews/bitbucket/acme/shop/12", "/api/v1/previews/github/shop/12",
        "/api/v1/previews/github/acme/shop/%zz"}) {
    HttpResponse response = Handle(Get(target));
    EXPECT_EQ(response.status, 404) << target;
    EXPECT_TRUE(nlohmann::json::parse(response.body).contains("error")) << target;
  }
  EXPECT_EQ(nlohmann::json::parse(Handle(Get("/api/v1/previews/github/acme/shop/13")).body),
            nlohmann::json({{"error",
                             "no preview github/acme/shop#13; list them with GET "
                             "/api/v1/previews"}}));
}

TEST_F(ApiServiceTest, LogsAreTheLogTailAsPlainText) {
  HttpResponse response = Handle(Get("/api/v1/previews/github/acme/shop/12/logs"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(response.body, "step 1/3\nstep 2/3\n");
}

TEST_F(ApiServiceTest, WrongMethodsAre405WithAllow) {
  HttpResponse post = Handle(Get("/api/v1/previews", "POST"));
  EXPECT_EQ(post.status, 405);
  ASSERT_EQ(post.headers.size(), 1u);
  EXPECT_EQ(post.headers[0], std::make_pair(std::string("Allow"), std::string("GET")));

  HttpResponse get_hook = Handle(Get("/hooks/github"));
  EXPECT_EQ(get_hook.status, 405);
  EXPECT_EQ(get_hook.headers[0].second, "POST");
  EXPECT_EQ(Handle(Get("/healthz", "DELETE")).status, 405);
}

TEST_F(ApiServiceTest, UnknownPathsAre404Json) {
  HttpResponse response = Handle(Get("/api/v2/previews"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"], "no such path: /api/v2/previews");
}

TEST_F(ApiServiceTest, HealthAndReadiness) {
  EXPECT_EQ(Handle(Get("/healthz")).body, "ok\n");
  EXPECT_EQ(Handle(Get("/readyz")).status, 200);

  readiness_ = absl::UnavailableError("docker unreachable: connection refused");
  HttpResponse response = Handle(Get("/readyz"));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "not ready: docker unreachable: connection refused\n");
}

TEST_F(ApiServiceTest, MetricsIncludeDeliveriesAndPreviewsByPhase) {
  Handle(Get("/hooks/github", "POST"));  // unauthorized: no secret configured
  HttpResponse response = Handle(Get("/metrics"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4");
  EXPECT_NE(response.body.find("prevu_webhook_deliveries_total{provider=\"github\",result="
                               "\"unauthorized\"} 1\n"),
            std::string::npos)
      << response.body;
  EXPECT_NE(response.body.find("prevu_previews{phase=\"ready\"} 1\n"), std::string::npos);
  EXPECT_NE(response.body.find("prevu_previews{phase=\"building\"} 1\n"), std::string::npos);
  EXPECT_NE(response.body.find("prevu_previews{phase=\"failed\"} 0\n"), std::string::npos);
}

TEST_F(ApiServiceTest, ServesTheDashboard) {
  HttpResponse response = Handle(Get("/"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_NE(response.body.find("/api/v1/previews"), std::string::npos);
  EXPECT_NE(response.body.find("</html>"), std::string::npos);
}

}  // namespace
}  // namespace prevu::api

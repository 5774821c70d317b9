// The whole control-plane API over real loopback sockets, with the real durable store in a
// temporary directory: every answer code of the contract, keep-alive, and durability.
#include <memory>

#include "absl/strings/str_cat.h"
#include "api/api_service.h"
#include "api/http_server.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/api/fixtures.h"
#include "tests/api/http_test_client.h"
#include "tests/api/webhook_test_util.h"
#include "tests/controller/store/temp_dir.h"

namespace prevu::api {
namespace {

using controller::PreviewKey;
using controller::Provider;
using testing::ClientResponse;
using testing::Fixture;
using testing::HttpTestClient;

constexpr char kSecret[] = "http-test-secret";
constexpr char kToken[] = "http-test-token";
const PreviewKey kKey{Provider::kGitHub, "Codertocat/Hello-World", 2};

class ApiHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.github.webhook_secret = controller::Secret(kSecret);
    config_.gitlab.webhook_token = controller::Secret(kToken);
    holder_.Set(config_);
    OpenStore();
    service_ = std::make_unique<ApiService>(&holder_, store_.get(), &metrics_, &clock_,
                                            [this] { return readiness_; });
    absl::StatusOr<std::unique_ptr<HttpServer>> server =
        HttpServer::Start({.listen = "127.0.0.1:0", .threads = 2}, service_.get());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    absl::StatusOr<HttpTestClient> client = HttpTestClient::Connect(server_->port());
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::make_unique<HttpTestClient>(*std::move(client));
  }

  void TearDown() override {
    if (server_) {
      server_->Stop();
    }
  }

  void OpenStore() {
    absl::StatusOr<std::unique_ptr<controller::DesiredStore>> store =
        controller::OpenDesiredStore(dir_.path(), &clock_, {.metrics = &metrics_});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  ClientResponse GitHub(const std::string& event, const std::string& body,
                        const std::string& delivery = "d-1", const std::string& secret = kSecret) {
    absl::StatusOr<ClientResponse> response = client_->Request(
        "POST", "/hooks/github", testing::GitHubHeaders(secret, event, delivery, body), body);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : ClientResponse{};
  }

  ClientResponse Opened(const std::string& delivery = "d-1") {
    return GitHub("pull_request", Fixture("github/pull_request.opened.payload.json"), delivery);
  }

  ClientResponse Get(const std::string& target, const std::string& method = "GET") {
    absl::StatusOr<ClientResponse> response = client_->Request(method, target);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : ClientResponse{};
  }

  static nlohmann::json Json(const ClientResponse& response) {
    return nlohmann::json::parse(response.body, nullptr, false);
  }

  controller::store::TempDir dir_;
  controller::HostConfig config_;
  controller::ConfigHolder holder_{config_};
  base::MetricsRegistry metrics_;
  base::FakeClock clock_;
  absl::Status readiness_ = absl::OkStatus();
  std::unique_ptr<controller::DesiredStore> store_;
  std::unique_ptr<ApiService> service_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<HttpTestClient> client_;
};

TEST_F(ApiHttpTest, Accepts202AndTheSpecIsOnDiskWhenAcknowledged) {
  ClientResponse response = Opened();
  ASSERT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(Json(response), nlohmann::json({{"key", "github/Codertocat/Hello-World#2"},
                                            {"generation", 1},
                                            {"changed", true}}));

  // Reopening the directory replays only what was synced before the answer.
  server_->Stop();
  store_.reset();
  absl::StatusOr<std::unique_ptr<controller::DesiredStore>> reopened =
      controller::OpenDesiredStore(dir_.path(), &clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  std::optional<controller::Preview> preview = (*reopened)->Get(kKey);
  ASSERT_TRUE(preview.has_value());
  EXPECT_EQ(preview->spec.head_sha, "ec26c3e57ca3a959ca5aad62de7213c562f8c821");
  EXPECT_EQ(preview->spec.generation, 1);
  EXPECT_TRUE(preview->spec.open);
}

TEST_F(ApiHttpTest, KeepAliveCarriesSeveralDeliveriesOnOneConnection) {
  EXPECT_EQ(Opened("a").status, 202);
  EXPECT_EQ(GitHub("pull_request", Fixture("github/pull_request.closed.payload.json"), "b").status,
            202);
  EXPECT_FALSE(store_->Get(kKey)->spec.open);
}

TEST_F(ApiHttpTest, Ping200) {
  ClientResponse response = GitHub("ping", Fixture("github/ping.payload.json"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(Json(response)["ping"], "pong");
}

TEST_F(ApiHttpTest, Ignored200) {
  ClientResponse response = GitHub("push", "{}");
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(Json(response).contains("ignored"));
}

TEST_F(ApiHttpTest, Duplicate200) {
  ASSERT_EQ(Opened("same").status, 202);
  ClientResponse response = Opened("same");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(Json(response)["duplicate"], true);
}

TEST_F(ApiHttpTest, MissingAndBadSignatures401) {
  std::string body = Fixture("github/pull_request.opened.payload.json");
  absl::StatusOr<ClientResponse> missing =
      client_->Request("POST", "/hooks/github", {{"X-GitHub-Event", "pull_request"}}, body);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 401);
  EXPECT_NE(Json(*missing)["error"].get<std::string>().find("missing X-Hub-Signature-256"),
            std::string::npos);

  ClientResponse bad = GitHub("pull_request", body, "d-1", "wrong secret");
  EXPECT_EQ(bad.status, 401);
  EXPECT_FALSE(store_->Get(kKey).has_value());
}

TEST_F(ApiHttpTest, MalformedJsonAndMissingField400) {
  EXPECT_EQ(GitHub("pull_request", "{not json", "a").status, 400);
  nlohmann::json payload =
      nlohmann::json::parse(Fixture("github/pull_request.opened.payload.json"));
  payload["pull_request"]["head"].erase("sha");
  ClientResponse response = GitHub("pull_request", payload.dump(), "b");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Json(response)["error"], "missing field `pull_request.head.sha`");
}

TEST_F(ApiHttpTest, RepositoryOutsideTheAllowList403) {
  config_.repos.push_back({.provider = Provider::kGitHub, .name = "acme/shop"});
  holder_.Set(config_);
  ClientResponse response = Opened();
  EXPECT_EQ(response.status, 403);
  EXPECT_NE(Json(response)["error"].get<std::string>().find("allow-list"), std::string::npos);
}

TEST_F(ApiHttpTest, BodyOver25MiBByContentLength413) {
  ASSERT_TRUE(client_
                  ->SendRaw("POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: "
                            "pull_request\r\nContent-Length: 26214401\r\n\r\n")
                  .ok());
  absl::StatusOr<ClientResponse> response = client_->Read();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(Json(*response)["error"], "request body is larger than the limit of 26214400 bytes");
  EXPECT_EQ(testing::Deliveries(metrics_, "github", "too_large"), 1);
}

TEST_F(ApiHttpTest, ChunkedBodyGrowingOver25MiB413) {
  ASSERT_TRUE(client_
                  ->SendRaw("POST /hooks/github HTTP/1.1\r\nHost: x\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n")
                  .ok());
  std::string chunk = absl::StrCat("100000\r\n", std::string(1 << 20, '{'), "\r\n");
  for (int i = 0; i < 26; ++i) {  // 26 MiB
    ASSERT_TRUE(client_->SendRaw(chunk).ok()) << i;
  }
  ASSERT_TRUE(client_->SendRaw("0\r\n\r\n").ok());
  absl::StatusOr<ClientResponse> response = client_->Read();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(client_->PeerClosed());
}

TEST_F(ApiHttpTest, UnknownPath404AndWrongMethod405) {
  ClientResponse unknown = Get("/nothing/here");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Json(unknown)["error"], "no such path: /nothing/here");

  ClientResponse wrong = Get("/hooks/github");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.Header("Allow"), "POST");
}

TEST_F(ApiHttpTest, MalformedHttp400) {
  ASSERT_TRUE(client_->SendRaw("POST /hooks/github HTTP/1.1\r\nContent-Length: -1\r\n\r\n").ok());
  absl::StatusOr<ClientResponse> response = client_->Read();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(client_->PeerClosed());
}

TEST_F(ApiHttpTest, ReadyzSays503WithTheReason) {
  EXPECT_EQ(Get("/readyz").status, 200);
  readiness_ = absl::UnavailableError("docker unreachable: /var/run/docker.sock: no such file");
  ClientResponse response = Get("/readyz");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "not ready: docker unreachable: /var/run/docker.sock: no such file\n");
  EXPECT_EQ(Get("/healthz").body, "ok\n");
}

TEST_F(ApiHttpTest, StatusApiShowsTheAcceptedPreview) {
  ASSERT_EQ(Opened().status, 202);
  ClientResponse list = Get("/api/v1/previews");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(Json(list)["previews"].size(), 1u);
  EXPECT_EQ(Json(list)["previews"][0]["head_sha"], "ec26c3e57ca3a959ca5aad62de7213c562f8c821");

  ClientResponse one = Get("/api/v1/previews/github/Codertocat/Hello-World/2");
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(Json(one)["title"], "Update the README with new information.");
  EXPECT_EQ(Get("/api/v1/previews/github/Codertocat/Hello-World/3").status, 404);
  EXPECT_EQ(Get("/api/v1/previews/github/Codertocat/Hello-World/2/logs").Header("Content-Type"),
            "text/plain; charset=utf-8");
}

TEST_F(ApiHttpTest, MetricsShowDeliveriesPhasesAndStoreLatency) {
  ASSERT_EQ(Opened().status, 202);
  ClientResponse metrics = Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.Header("Content-Type"), "text/plain; version=0.0.4");
  EXPECT_NE(metrics.body.find(
                "prevu_webhook_deliveries_total{provider=\"github\",result=\"accepted\"} 1\n"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("prevu_previews{phase=\"pending\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("prevu_store_write_seconds_count"), std::string::npos);
}

TEST_F(ApiHttpTest, GitLabMergeRequestAccepted202) {
  std::string body = Fixture("gitlab/merge_request.open.gitlab-docs.json");
  absl::StatusOr<ClientResponse> response =
      client_->Request("POST", "/hooks/gitlab", testing::GitLabHeaders(kToken, "uuid-1"), body);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 202) << response->body;
  EXPECT_TRUE(store_->Get({Provider::kGitLab, "gitlabhq/gitlab-test", 1}).has_value());
}

// The mutating API: the admin token decides, the store records the change, the answer is 202.
class AdminApiHttpTest : public ApiHttpTest {
 protected:
  static constexpr const char* kAdminToken = "s3cret-admin-token";
  static constexpr const char* kPreviewPath = "/api/v1/previews/github/Codertocat/Hello-World/2";

  void SetUp() override {
    ApiHttpTest::SetUp();
    config_.api.admin_token = controller::Secret(kAdminToken);
    holder_.Set(config_);
    ASSERT_EQ(Opened().status, 202);
  }

  ClientResponse Admin(const std::string& method, const std::string& target,
                       const std::string& authorization) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!authorization.empty()) {
      headers.emplace_back("Authorization", authorization);
    }
    absl::StatusOr<ClientResponse> response = client_->Request(method, target, headers);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : ClientResponse{};
  }
};

TEST_F(AdminApiHttpTest, WithoutTheTokenEveryChangeIs401AndNothingChanges) {
  std::string redeploy = absl::StrCat(kPreviewPath, "/redeploy");
  for (const std::string& authorization :
       {std::string(), std::string("Bearer wrong"), absl::StrCat("Basic ", kAdminToken),
        absl::StrCat("Bearer ", kAdminToken, "x"), std::string("Bearer ")}) {
    ClientResponse post = Admin("POST", redeploy, authorization);
    EXPECT_EQ(post.status, 401) << authorization;
    EXPECT_EQ(post.Header("WWW-Authenticate"), "Bearer realm=\"prevu\"");
    EXPECT_EQ(Admin("DELETE", kPreviewPath, authorization).status, 401) << authorization;
  }
  std::optional<controller::Preview> preview = store_->Get(kKey);
  ASSERT_TRUE(preview.has_value());
  EXPECT_EQ(preview->spec.generation, 1);
  EXPECT_TRUE(preview->spec.open);
}

TEST_F(AdminApiHttpTest, RedeployBumpsTheGenerationDurably) {
  ClientResponse response =
      Admin("POST", absl::StrCat(kPreviewPath, "/redeploy"), absl::StrCat("bearer ", kAdminToken));
  ASSERT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(Json(response)["key"], "github/Codertocat/Hello-World#2");
  EXPECT_EQ(Json(response)["generation"], 2);

  server_->Stop();
  store_.reset();
  OpenStore();
  EXPECT_EQ(store_->Get(kKey)->spec.generation, 2);
}

TEST_F(AdminApiHttpTest, DeleteClosesThePreviewAndRedeployOfAClosedOneIs409) {
  std::string bearer = absl::StrCat("Bearer ", kAdminToken);
  ClientResponse deleted = Admin("DELETE", kPreviewPath, bearer);
  ASSERT_EQ(deleted.status, 202) << deleted.body;
  EXPECT_EQ(Json(deleted)["state"], "closed");
  EXPECT_FALSE(store_->Get(kKey)->spec.open);

  EXPECT_EQ(Admin("DELETE", kPreviewPath, bearer).status, 202);  // idempotent
  ClientResponse redeploy = Admin("POST", absl::StrCat(kPreviewPath, "/redeploy"), bearer);
  EXPECT_EQ(redeploy.status, 409);
  EXPECT_NE(Json(redeploy)["error"].get<std::string>().find("closed"), std::string::npos);
}

TEST_F(AdminApiHttpTest, UnknownPreviewsAndPathsAre404) {
  std::string bearer = absl::StrCat("Bearer ", kAdminToken);
  EXPECT_EQ(Admin("DELETE", "/api/v1/previews/github/Codertocat/Hello-World/3", bearer).status,
            404);
  EXPECT_EQ(Admin("POST", "/api/v1/previews/gitlab/group/sub/project/9/redeploy", bearer).status,
            404);
  EXPECT_EQ(Admin("DELETE", absl::StrCat(kPreviewPath, "/redeploy"), bearer).status, 404);
  EXPECT_EQ(Admin("POST", kPreviewPath, bearer).status, 405);
}

TEST_F(AdminApiHttpTest, WithNoAdminTokenConfiguredTheApiIsOff403) {
  config_.api.admin_token.reset();
  holder_.Set(config_);  // as a SIGHUP reload would
  ClientResponse response = Admin("DELETE", kPreviewPath, absl::StrCat("Bearer ", kAdminToken));
  EXPECT_EQ(response.status, 403);
  EXPECT_NE(Json(response)["error"].get<std::string>().find("PREVU_ADMIN_TOKEN"),
            std::string::npos);
  EXPECT_TRUE(store_->Get(kKey)->spec.open);
}

}  // namespace
}  // namespace prevu::api

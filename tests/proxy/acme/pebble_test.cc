// Integration: the ACME client and the certificate manager against Pebble (Debian's `pebble`, a
// real RFC 8555 server) with `pebble-challtestsrv` as its DNS, answering every name with
// 127.0.0.1. Pebble validates HTTP-01 for real, through Prevu's proxy on its plain port, and
// refuses 30 % of good nonces (PEBBLE_WFE_NONCEREJECT), so badNonce retries happen.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "controller/base/asio.h"
#include "proxy/acme/acme_client.h"
#include "proxy/acme/certificate_info.h"
#include "proxy/acme/certificate_manager.h"
#include "proxy/acme/private_file.h"
#include "proxy/proxy_server.h"
#include "tests/controller/store/temp_dir.h"
#include "tests/proxy/acme/test_pki.h"
#include "tests/proxy/test_http.h"

#include <openssl/ssl.h>
#include <boost/asio/ssl.hpp>

extern char** environ;

namespace prevu::proxy::acme {
namespace {

constexpr char kPebble[] = "/usr/bin/pebble";
constexpr char kChallTestSrv[] = "/usr/bin/pebble-challtestsrv";

// A child process with its output in a file, ended with SIGTERM when destroyed.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
        const std::string& log_path) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string(*e).rfind("PEBBLE_", 0) != 0) {  // no inherited PEBBLE_VA_ALWAYS_VALID
        env.emplace_back(*e);
      }
    }
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> args, envp;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    args.push_back(nullptr);
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), envp.data()) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Completes a TLS handshake with 127.0.0.1:`port` sending `name` as SNI, trusting only the PEM
// roots in `ca_file` and checking the certificate is for `name`. The error text, or "" on success.
std::string Handshake(uint16_t port, const std::string& name, const std::string& ca_file) {
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  ctx.load_verify_file(ca_file);
  asio::ssl::stream<asio::ip::tcp::socket> stream(io, ctx);
  SSL_set_tlsext_host_name(stream.native_handle(), name.c_str());
  SSL_set1_host(stream.native_handle(), name.c_str());
  boost::system::error_code ec;
  stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (!ec) {
    stream.handshake(asio::ssl::stream_base::client, ec);
  }
  return ec ? ec.message() : "";
}

class PebbleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::access(kPebble, X_OK) != 0 || ::access(kChallTestSrv, X_OK) != 0) {
      return;
    }
    temp_ = new controller::store::TempDir();
    dir_ = &temp_->path();
    StartProxy();
    StartPebble();
  }

  static void TearDownTestSuite() {
    pebble_.reset();
    dns_.reset();
    if (proxy_ != nullptr) {
      proxy_->Drain();
      proxy_.reset();
    }
    delete temp_;
    temp_ = nullptr;
    dir_ = nullptr;
  }

  void SetUp() override {
    if (dir_ == nullptr) {
      GTEST_SKIP() << kPebble << " or " << kChallTestSrv
                   << " is missing (Debian packages pebble); the ACME integration test needs them";
    }
    ASSERT_TRUE(pebble_ready_) << "pebble did not start; its log:\n"
                               << ReadFile(*dir_ + "/pebble.log");
  }

  // The proxy answers HTTP-01 from `challenges_` on its plain port and serves TLS.
  static void StartProxy() {
    ProxyConfig config;
    config.listen_host = "127.0.0.1";
    config.listen_port = 0;
    config.threads = 1;
    config.tls_listen = TlsListen{.host = "127.0.0.1", .port = 0};
    proxy_ = std::make_unique<ProxyServer>(config, nullptr);
    proxy_->SetChallengeStore(&challenges_);
    ASSERT_TRUE(proxy_->Start().ok());
  }

  static void StartPebble() {
    // Pebble's own HTTPS certificate, from a CA only this test trusts.
    testing::TestCa ca;
    EcKey key = *EcKey::Generate();
    std::string tls_ca = *dir_ + "/pebble-tls-ca.pem";
    ASSERT_TRUE(WriteFileAtomically(tls_ca, ca.root_pem(), 0644).ok());
    ASSERT_TRUE(
        WriteFileAtomically(*dir_ + "/pebble-cert.pem",
                            ca.IssuePem({"localhost"}, key.get(), absl::Now() - absl::Hours(1),
                                        absl::Now() + absl::Hours(24), {"127.0.0.1"}),
                            0644)
            .ok());
    ASSERT_TRUE(WriteFileAtomically(*dir_ + "/pebble-key.pem", key.PrivateKeyPem(), 0600).ok());
    tls_ca_file_ = tls_ca;

    uint16_t dns_port = proxy::testing::ClosedPort();
    uint16_t acme_port = proxy::testing::ClosedPort();
    uint16_t management_port = proxy::testing::ClosedPort();
    nlohmann::json config = {
        {"pebble",
         {{"listenAddress", absl::StrCat("127.0.0.1:", acme_port)},
          {"managementListenAddress", absl::StrCat("127.0.0.1:", management_port)},
          {"certificate", *dir_ + "/pebble-cert.pem"},
          {"privateKey", *dir_ + "/pebble-key.pem"},
          {"httpPort", proxy_->port()},
          {"tlsPort", proxy::testing::ClosedPort()},
          {"ocspResponderURL", ""},
          {"externalAccountBindingRequired", false}}}};
    ASSERT_TRUE(WriteFileAtomically(*dir_ + "/pebble.json", config.dump(), 0644).ok());

    std::string dns = absl::StrCat("127.0.0.1:", dns_port);
    dns_ = std::make_unique<Child>(
        std::vector<std::string>{kChallTestSrv, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
                                 "-dns01", dns, "-http01", "", "-https01", "", "-tlsalpn01", "",
                                 "-management", ""},
        std::vector<std::string>{}, *dir_ + "/challtestsrv.log");
    pebble_ = std::make_unique<Child>(
        std::vector<std::string>{kPebble, "-config", *dir_ + "/pebble.json", "-dnsserver", dns},
        std::vector<std::string>{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=30"},
        *dir_ + "/pebble.log");
    directory_ = absl::StrCat("https://127.0.0.1:", acme_port, "/dir");
    management_ = absl::StrCat("https://127.0.0.1:", management_port);

    // Pebble makes its CA at start; it is ready when the directory answers.
    std::unique_ptr<HttpsClient> http =
        *HttpsClient::Create({.ca_file = tls_ca, .timeout = absl::Seconds(2)});
    for (int i = 0; i < 100 && !pebble_ready_; ++i) {
      absl::StatusOr<HttpResponse> answer = http->Send("GET", directory_);
      pebble_ready_ = answer.ok() && answer->status == 200;
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  std::unique_ptr<AcmeClient> Client(const std::string& state_dir, ChallengeStore* challenges) {
    absl::StatusOr<std::unique_ptr<AcmeClient>> client = AcmeClient::Create({
        .directory_url = directory_,
        .email = "ops@prevu.test",
        .ca_file = tls_ca_file_,
        .account_key_path = state_dir + "/acme/account.key",
        .challenges = challenges,
        .http_timeout = absl::Seconds(10),
        .order_timeout = absl::Seconds(30),
    });
    EXPECT_TRUE(client.ok()) << client.status();
    return std::move(*client);
  }

  // Waits up to `limit` for `name` to leave the Pending state.
  static CertificateStatus WaitDecided(const CertificateManager& manager, const std::string& name,
                                       absl::Duration limit = absl::Seconds(40)) {
    absl::Time give_up = absl::Now() + limit;
    CertificateStatus status = manager.Status(name);
    while (status.reason == "Pending" && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(10));
      status = manager.Status(name);
    }
    return status;
  }

  std::string PebbleRoot() {
    std::unique_ptr<HttpsClient> http = *HttpsClient::Create({.ca_file = tls_ca_file_});
    absl::StatusOr<HttpResponse> root = http->Send("GET", management_ + "/roots/0");
    EXPECT_TRUE(root.ok() && root->status == 200);
    return root.ok() ? root->body : "";
  }

  static inline controller::store::TempDir* temp_ = nullptr;
  static inline const std::string* dir_ = nullptr;
  static inline std::string tls_ca_file_;
  static inline std::string directory_;
  static inline std::string management_;
  static inline ChallengeStore challenges_;
  static inline std::unique_ptr<ProxyServer> proxy_;
  static inline std::unique_ptr<Child> dns_;
  static inline std::unique_ptr<Child> pebble_;
  static inline bool pebble_ready_ = false;
};

TEST_F(PebbleTest, IssuesThroughTheProxyInstallsAndReloadsFromDiskWithoutAnotherOrder) {
  const std::string name = "pr-12-shop.preview.prevu.test";
  const std::string state = *dir_ + "/state-a";
  std::unique_ptr<AcmeClient> client = Client(state, &challenges_);
  CertificateManager manager(
      {.state_dir = state, .issuer = client.get(), .sink = proxy_->certificates()});
  ASSERT_TRUE(manager.Load().ok());
  manager.Start();

  absl::Time asked = absl::Now();
  manager.SetNames({name});
  CertificateStatus status = WaitDecided(manager, name);
  absl::Duration took = absl::Now() - asked;
  manager.Stop();

  ASSERT_TRUE(status.ready) << status.reason << ": " << status.message;
  EXPECT_EQ(manager.orders(), 1u);
  std::printf("FIGURE acme set_names_to_installed_ms=%.0f bad_nonce_retries=%lu\n",
              absl::ToDoubleMilliseconds(took),
              static_cast<unsigned long>(client->bad_nonce_retries()));

  // The chain on disk verifies against Pebble's root for the name, and the proxy serves it.
  std::string root = PebbleRoot();
  std::string chain = ReadFile(state + "/certs/" + name + ".crt");
  EXPECT_TRUE(testing::ChainVerifies(chain, root, name));
  EXPECT_TRUE(proxy_->certificates()->Covers(name));
  ASSERT_TRUE(WriteFileAtomically(*dir_ + "/pebble-root.pem", root, 0644).ok());
  EXPECT_EQ(Handshake(proxy_->tls_port(), name, *dir_ + "/pebble-root.pem"), "");

  // A restart: a second manager on the same state directory serves the same certificate from
  // disk and orders nothing.
  CertificateStore restarted_store;
  std::unique_ptr<AcmeClient> restarted_client = Client(state, &challenges_);
  CertificateManager restarted(
      {.state_dir = state, .issuer = restarted_client.get(), .sink = &restarted_store});
  ASSERT_TRUE(restarted.Load().ok());
  EXPECT_TRUE(restarted_store.Covers(name));
  restarted.SetNames({name});
  restarted.Tick();
  EXPECT_TRUE(restarted.Status(name).ready);
  EXPECT_EQ(restarted.orders(), 0u);
  EXPECT_TRUE(restarted_client->account_url().empty());  // it did not even talk to the CA
}

TEST_F(PebbleTest, FailedValidationShowsTheCasReason) {
  const std::string name = "pr-13-shop.preview.prevu.test";
  const std::string state = *dir_ + "/state-b";
  ChallengeStore unserved;  // the proxy does not answer from this one: Pebble gets a 404
  std::unique_ptr<AcmeClient> client = Client(state, &unserved);
  CertificateManager manager(
      {.state_dir = state, .issuer = client.get(), .sink = proxy_->certificates()});
  ASSERT_TRUE(manager.Load().ok());
  manager.SetNames({name});

  manager.Tick();

  CertificateStatus status = manager.Status(name);
  EXPECT_FALSE(status.ready);
  EXPECT_EQ(status.reason, "Failed");
  EXPECT_EQ(status.message.rfind("HTTP-01 validation of " + name + ": ", 0), 0u) << status.message;
  EXPECT_NE(status.message.find("404"), std::string::npos) << status.message;
  EXPECT_EQ(manager.failures(), 1u);
  EXPECT_FALSE(proxy_->certificates()->Covers(name));
}

TEST_F(PebbleTest, CaServerNotSignedByATrustedRootIsRefused) {
  std::unique_ptr<HttpsClient> system_roots = *HttpsClient::Create({});

  absl::StatusOr<HttpResponse> answer = system_roots->Send("GET", directory_);

  EXPECT_TRUE(absl::IsUnavailable(answer.status())) << answer.status();
  EXPECT_NE(answer.status().message().find("TLS handshake failed"), std::string::npos);
}

}  // namespace
}  // namespace prevu::proxy::acme

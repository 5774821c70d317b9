// End-to-end: `prevu serve` gets its certificates from Pebble (Debian's `pebble`, a real RFC 8555
// server) with `pebble-challtestsrv` as Pebble's DNS, answering every name with 127.0.0.1. Pebble
// validates HTTP-01 for real, by connecting to Prevu's plain port, and refuses 30 % of good nonces
// (PEBBLE_WFE_NONCEREJECT), so Prevu's badNonce retries run. A client that trusts only Pebble's
// root then reaches the preview over HTTPS; a restart serves the certificate from disk without a
// new order; a name whose validation fails shows the CA's reason in its CertReady condition.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/e2e_support.h"
#include "tests/e2e/serve_fixture.h"

namespace prevu::e2e {
namespace {

using std::chrono::seconds;

constexpr const char* kPebble = "/usr/bin/pebble";
constexpr const char* kChallTestSrv = "/usr/bin/pebble-challtestsrv";
constexpr const char* kDomain = "prevu.test";

// One Pebble and its DNS for the whole suite (Pebble's CA lives as long as the process).
class Pebble {
 public:
  // `http_port` is where Pebble's validation connects: Prevu's plain listener.
  Pebble(const std::string& dir, int http_port) : dir_(dir) {
    // Pebble's own HTTPS certificate: self-signed, trusted by Prevu through `acme_ca_file`.
    CommandResult made = RunCommand(
        absl::StrCat("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes",
                     " -days 2 -subj /CN=localhost",
                     " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout ", dir,
                     "/pebble-key.pem -out ", tls_ca_file()));
    if (made.exit_code != 0) {
      problem_ = "openssl req failed: " + made.output;
      return;
    }
    acme_port_ = FreePort();
    management_port_ = FreePort();
    int dns_port = FreePort();
    dns_management_port_ = FreePort();
    nlohmann::json config = {
        {"pebble",
         {{"listenAddress", absl::StrCat("127.0.0.1:", acme_port_)},
          {"managementListenAddress", absl::StrCat("127.0.0.1:", management_port_)},
          {"certificate", tls_ca_file()},
          {"privateKey", dir + "/pebble-key.pem"},
          {"httpPort", http_port},
          {"tlsPort", FreePort()},
          {"ocspResponderURL", ""},
          {"externalAccountBindingRequired", false}}}};
    WriteFile(dir + "/pebble.json", config.dump());

    std::string dns = absl::StrCat("127.0.0.1:", dns_port);
    dns_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{kChallTestSrv, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
                                 "-dns01", dns, "-http01", "", "-https01", "", "-tlsalpn01", "",
                                 "-management", absl::StrCat("127.0.0.1:", dns_management_port_)},
        std::map<std::string, std::string>{}, dir + "/challtestsrv.log");
    pebble_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{kPebble, "-config", dir + "/pebble.json", "-dnsserver", dns},
        std::map<std::string, std::string>{{"PEBBLE_VA_NOSLEEP", "1"},
                                           {"PEBBLE_VA_ALWAYS_VALID", "0"},
                                           {"PEBBLE_WFE_NONCEREJECT", "30"}},
        dir + "/pebble.log");

    // Pebble makes its CA at start; its root is there once the management port answers.
    bool ready = WaitFor(
        [&] {
          CommandResult root = RunCommand(absl::StrCat("curl -sf --cacert ", tls_ca_file(),
                                                       " https://127.0.0.1:", management_port_,
                                                       "/roots/0 -o ", root_file()));
          return root.exit_code == 0;
        },
        seconds(20));
    if (!ready) {
      problem_ = "pebble did not start; its log:\n" + ReadLog("pebble.log");
    }
  }

  const std::string& problem() const { return problem_; }
  std::string directory() const { return absl::StrCat("https://127.0.0.1:", acme_port_, "/dir"); }
  std::string tls_ca_file() const { return dir_ + "/pebble-tls.pem"; }
  // The root of the certificates Pebble issues.
  std::string root_file() const { return dir_ + "/pebble-root.pem"; }

  // Makes Pebble's DNS answer `host` with `address` instead of 127.0.0.1.
  bool AddARecord(const std::string& host, const std::string& address) const {
    nlohmann::json body = {{"host", host + "."}, {"addresses", {address}}};
    return RunCommand(absl::StrCat("curl -sf -X POST -d '", body.dump(),
                                   "' http://127.0.0.1:", dns_management_port_, "/add-a"))
               .exit_code == 0;
  }

  std::string ReadLog(const std::string& name) const {
    return RunCommand("cat " + dir_ + "/" + name).output;
  }

 private:
  std::string dir_;
  std::string problem_;
  int acme_port_ = 0;
  int management_port_ = 0;
  int dns_management_port_ = 0;
  std::unique_ptr<ChildProcess> dns_;
  std::unique_ptr<ChildProcess> pebble_;
};

class TlsE2eTest : public ServeFixture {
 protected:
  static void SetUpTestSuite() {
    if (::access(kPebble, X_OK) != 0 || ::access(kChallTestSrv, X_OK) != 0) {
      return;
    }
    pebble_dir_ = new TempDir();
    // Every test's Prevu listens on this plain port, the one Pebble validates against.
    shared_proxy_port_ = FreePort();
    pebble_ = new Pebble(pebble_dir_->path(), shared_proxy_port_);
  }

  static void TearDownTestSuite() {
    delete pebble_;
    pebble_ = nullptr;
    delete pebble_dir_;
    pebble_dir_ = nullptr;
  }

  void SetUp() override {
    if (pebble_ == nullptr) {
      GTEST_SKIP() << kPebble << " or " << kChallTestSrv << " is missing (Debian package pebble)";
    }
    ServeFixture::SetUp();
    if (IsSkipped()) {
      return;
    }
    ASSERT_EQ(pebble_->problem(), "");
    proxy_port_ = shared_proxy_port_;
    tls_port_ = FreePort();
  }

  std::string TlsConfig() const {
    return Config(
        absl::StrCat("[tls]\nlisten = \"127.0.0.1:", tls_port_, "\"\n", "acme_directory = \"",
                     pebble_->directory(), "\"\n", "acme_email = \"ops@prevu.test\"\n",
                     "acme_ca_file = \"", pebble_->tls_ca_file(), "\"\n"),
        kDomain);
  }

  // Waits for the preview's CertReady condition to have `reason`; returns the preview.
  nlohmann::json WaitForCertificate(const std::string& api_path, const std::string& reason) {
    nlohmann::json preview;
    bool reached = WaitFor(
        [&] {
          preview = Preview(api_path);
          nlohmann::json condition = ConditionOf(preview, "CertReady");
          return !condition.is_null() && condition["reason"] == reason;
        },
        seconds(90));
    EXPECT_TRUE(reached) << "CertReady of " << api_path << " never became " << reason << ": "
                         << preview.dump() << "\nprevu log:\n"
                         << prevu_->log() << "\npebble log:\n"
                         << pebble_->ReadLog("pebble.log");
    return preview;
  }

  static inline TempDir* pebble_dir_ = nullptr;
  static inline Pebble* pebble_ = nullptr;
  static inline int shared_proxy_port_ = 0;
  int tls_port_ = 0;
};

TEST_F(TlsE2eTest, CertificateFromPebbleServesHttpsAndIsLoadedFromDiskAfterARestart) {
  OwnKey("github/e2e/tls#1");
  StartPrevu(TlsConfig());
  auto asked = std::chrono::steady_clock::now();
  Open("e2e/tls", 1);

  nlohmann::json preview = WaitForPhase("github/e2e/tls/1", "ready", seconds(180));
  auto ready = std::chrono::steady_clock::now();
  const std::string host = "pr-1-tls.prevu.test";
  EXPECT_EQ(preview["url"], absl::StrCat("https://", host, ":", tls_port_));

  // A client that trusts only Pebble's root verifies the preview's certificate for its name.
  HttpResult served;
  ASSERT_TRUE(WaitFor(
      [&] {
        served = Https(tls_port_, host, "/", pebble_->root_file());
        return served.status == 200;
      },
      seconds(90)))
      << served.status << " " << served.error << "\nprevu log:\n"
      << prevu_->log();
  auto https = std::chrono::steady_clock::now();
  preview = WaitForCertificate("github/e2e/tls/1", "Issued");
  EXPECT_EQ(ConditionOf(preview, "CertReady")["status"], "True");
  EXPECT_TRUE(absl::StrContains(served.body, "Hello from a Prevu preview"));
  EXPECT_EQ(served.headers["x-robots-tag"], "noindex");
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  std::printf("FIGURE tls webhook_to_https_ms=%lld ready_to_https_ms=%lld\n",
              static_cast<long long>(ms(https - asked)), static_cast<long long>(ms(https - ready)));

  // A client that trusts something else refuses it.
  HttpResult untrusted = Https(tls_port_, host, "/", pebble_->tls_ca_file());
  EXPECT_EQ(untrusted.status, 0);
  EXPECT_TRUE(absl::StrContains(untrusted.error, "certificate")) << untrusted.error;

  // The plain port redirects to HTTPS (method and path kept), except ACME's challenge path.
  HttpResult plain = Http(proxy_port_, "GET", host, "/docs/page?x=1");
  EXPECT_EQ(plain.status, 308);
  EXPECT_EQ(plain.headers["location"],
            absl::StrCat("https://", host, ":", tls_port_, "/docs/page?x=1"));
  EXPECT_EQ(Http(proxy_port_, "GET", host, "/.well-known/acme-challenge/unknown").status, 404);

  // The apex (dashboard, API, webhooks) gets its certificate too.
  HttpResult apex;
  EXPECT_TRUE(WaitFor(
      [&] {
        apex = Https(tls_port_, kDomain, "/healthz", pebble_->root_file());
        return apex.status == 200;
      },
      seconds(60)))
      << apex.status << " " << apex.error;
  EXPECT_GE(Metric("prevu_acme_orders_total"), 2);

  // A restart serves both certificates from the state directory and orders nothing.
  prevu_->Signal(SIGTERM);
  ASSERT_EQ(prevu_->Wait(seconds(10)), 0);
  absl::Status restarted = prevu_->Start(api_port_);
  ASSERT_TRUE(restarted.ok()) << restarted;
  // Start() returns once the api answers; the proxy's listeners open just after it.
  EXPECT_TRUE(WaitFor(
      [&] { return Https(tls_port_, kDomain, "/healthz", pebble_->root_file()).status == 200; },
      seconds(10)));
  EXPECT_TRUE(WaitFor(
      [&] { return Https(tls_port_, host, "/", pebble_->root_file()).status == 200; }, seconds(30)))
      << prevu_->log();
  WaitForCertificate("github/e2e/tls/1", "Issued");
  EXPECT_EQ(Metric("prevu_acme_orders_total"), 0);
}

TEST_F(TlsE2eTest, FailedValidationShowsTheCasReasonAndThePreviewStaysServed) {
  OwnKey("github/e2e/broken#2");
  const std::string host = "pr-2-broken.prevu.test";
  // Pebble looks for this name at 127.0.0.2, where nothing listens: validation fails.
  ASSERT_TRUE(pebble_->AddARecord(host, "127.0.0.2"));
  StartPrevu(TlsConfig());
  Open("e2e/broken", 2);

  WaitForPhase("github/e2e/broken/2", "ready", seconds(180));
  nlohmann::json preview = WaitForCertificate("github/e2e/broken/2", "Failed");
  nlohmann::json condition = ConditionOf(preview, "CertReady");
  EXPECT_EQ(condition["status"], "False");
  // Pebble's own words name the address it could not reach.
  std::string message = condition.value("message", "");
  EXPECT_TRUE(absl::StrContains(message, "127.0.0.2")) << message;
  EXPECT_GE(Metric("prevu_acme_order_failures_total"), 1);

  // Nothing else is lost: without a certificate the plain port serves the preview.
  HttpResult plain = Visit(host);
  EXPECT_EQ(plain.status, 200) << plain.body;
  EXPECT_TRUE(absl::StrContains(plain.body, "Hello from a Prevu preview"));
}

TEST_F(TlsE2eTest, AStaticWildcardServesItsNamesAndAcmeTheRest) {
  OwnKey("github/e2e/static#3");
  // A wildcard for the previews, made and trusted by this test alone; it does not cover the apex.
  std::string cert = dir_.path() + "/wildcard.pem";
  std::string key = dir_.path() + "/wildcard.key";
  CommandResult made = RunCommand(
      absl::StrCat("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2",
                   " -subj '/CN=*.prevu.test' -addext 'subjectAltName=DNS:*.prevu.test' -keyout ",
                   key, " -out ", cert));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  StartPrevu(TlsConfig() + absl::StrCat("cert_file = \"", cert, "\"\nkey_file = \"", key, "\"\n"));
  Open("e2e/static", 3);

  WaitForPhase("github/e2e/static/3", "ready", seconds(180));
  const std::string host = "pr-3-static.prevu.test";
  nlohmann::json preview = WaitForCertificate("github/e2e/static/3", "Static");
  EXPECT_EQ(ConditionOf(preview, "CertReady")["status"], "True");
  HttpResult served;
  EXPECT_TRUE(WaitFor(
      [&] {
        served = Https(tls_port_, host, "/", cert);
        return served.status == 200;
      },
      seconds(30)))
      << served.status << " " << served.error;
  EXPECT_TRUE(absl::StrContains(served.body, "Hello from a Prevu preview"));

  // The apex is not covered by the wildcard: ACME gets it, and it alone.
  HttpResult apex;
  EXPECT_TRUE(WaitFor(
      [&] {
        apex = Https(tls_port_, kDomain, "/healthz", pebble_->root_file());
        return apex.status == 200;
      },
      seconds(60)))
      << apex.status << " " << apex.error << "\n"
      << prevu_->log();
  EXPECT_EQ(Metric("prevu_acme_orders_total"), 1);
}

}  // namespace
}  // namespace prevu::e2e

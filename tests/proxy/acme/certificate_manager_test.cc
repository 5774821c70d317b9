// The certificate lifecycle with an injected clock and a fake issuer: first issuance, renewal at
// two thirds of the lifetime within the jitter, per-name back-off, the overall rate limit, disk.
#include "proxy/acme/certificate_manager.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "proxy/acme/certificate_info.h"
#include "tests/controller/store/temp_dir.h"
#include "tests/proxy/acme/test_pki.h"

namespace prevu::proxy::acme {
namespace {

constexpr absl::Duration kDay = absl::Hours(24);

// Issues certificates valid from the fake clock's now for `lifetime`, or fails as told.
class FakeIssuer : public CertificateIssuer {
 public:
  explicit FakeIssuer(const base::FakeClock* clock) : clock_(clock) {}

  absl::StatusOr<IssuedCertificate> Issue(const std::vector<std::string>& names) override {
    calls.push_back(names);
    if (!error.ok() && (failing.empty() || failing.contains(names[0]))) {
      return error;
    }
    return ca_.Issue(names, clock_->Now(), clock_->Now() + lifetime);
  }
  void Cancel() override {}

  std::vector<std::vector<std::string>> calls;
  absl::Status error;
  absl::flat_hash_set<std::string> failing;  // empty: `error` applies to every name
  absl::Duration lifetime = 90 * kDay;

 private:
  const base::FakeClock* clock_;
  testing::TestCa ca_{absl::FromUnixSeconds(1'700'000'000)};
};

// Records the first name of every certificate installed; refuses a key that does not match.
class RecordingSink : public proxy::CertificateSink {
 public:
  absl::Status Install(absl::string_view chain_pem, absl::string_view key_pem) override {
    if (absl::Status match = CheckKeyMatchesCertificate(chain_pem, key_pem); !match.ok()) {
      return match;
    }
    installed.push_back(InspectCertificate(chain_pem)->names.at(0));
    return absl::OkStatus();
  }

  std::vector<std::string> installed;
};

class CertificateManagerTest : public ::testing::Test {
 protected:
  std::unique_ptr<CertificateManager> Manager(CertificateManagerOptions options = {}) {
    options.state_dir = dir_;
    options.issuer = &issuer_;
    options.sink = &sink_;
    options.clock = &clock_;
    options.jitter_seed = options.jitter_seed != 0 ? options.jitter_seed : 42;
    auto manager = std::make_unique<CertificateManager>(options);
    EXPECT_TRUE(manager->Load().ok());
    return manager;
  }

  mode_t Mode(const std::string& path) {
    struct stat st;
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  controller::store::TempDir temp_;
  std::string dir_ = temp_.path();
  base::FakeClock clock_;
  FakeIssuer issuer_{&clock_};
  RecordingSink sink_;
};

TEST_F(CertificateManagerTest, ObtainsInstallsAndStoresACertificateForANewName) {
  std::unique_ptr<CertificateManager> manager = Manager();
  manager->SetNames({"a.example.com"});
  EXPECT_EQ(manager->Status("a.example.com").reason, "Pending");

  manager->Tick();

  EXPECT_EQ(issuer_.calls, std::vector<std::vector<std::string>>({{"a.example.com"}}));
  EXPECT_EQ(sink_.installed, std::vector<std::string>({"a.example.com"}));
  CertificateStatus status = manager->Status("a.example.com");
  EXPECT_TRUE(status.ready);
  EXPECT_EQ(status.reason, "Issued");
  EXPECT_EQ(status.not_after, clock_.Now() + 90 * kDay);
  EXPECT_EQ(Mode(dir_ + "/certs"), 0700u);
  EXPECT_EQ(Mode(dir_ + "/certs/a.example.com.key"), 0600u);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/certs/a.example.com.crt"));
  EXPECT_EQ(manager->orders(), 1u);
}

TEST_F(CertificateManagerTest, RenewsAtTwoThirdsOfTheLifetimeWithinTheJitter) {
  std::unique_ptr<CertificateManager> manager = Manager({.renew_jitter = 0.05});
  manager->SetNames({"a.example.com"});
  absl::Time issued = clock_.Now();

  absl::Time next = manager->Tick();

  // 2/3 of 90 days is 60 days; 5 % of 90 days is 4.5 days either way.
  EXPECT_GE(next, issued + 55.5 * kDay);
  EXPECT_LE(next, issued + 64.5 * kDay);
  clock_.Set(issued + 55 * kDay);
  manager->Tick();
  EXPECT_EQ(issuer_.calls.size(), 1u);
  clock_.Set(next);
  manager->Tick();
  EXPECT_EQ(issuer_.calls.size(), 2u);
  EXPECT_EQ(sink_.installed.size(), 2u);
}

TEST_F(CertificateManagerTest, JitterSpreadsRenewalsOfCertificatesIssuedTogether) {
  std::set<absl::Time> renewals;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    std::unique_ptr<CertificateManager> manager = Manager({.jitter_seed = seed});
    manager->SetNames({"a.example.com"});
    std::filesystem::remove_all(dir_ + "/certs");
    renewals.insert(manager->Tick());
  }

  EXPECT_GT(renewals.size(), 4u);
}

TEST_F(CertificateManagerTest, BacksOffExponentiallyPerNameUpToTheCap) {
  issuer_.error = absl::PermissionDeniedError("HTTP-01 validation of a.example.com: 404");
  std::unique_ptr<CertificateManager> manager =
      Manager({.first_backoff = absl::Minutes(5), .max_backoff = absl::Hours(4)});
  manager->SetNames({"a.example.com"});

  std::vector<absl::Duration> waits;
  for (int attempt = 0; attempt < 8; ++attempt) {
    absl::Time next = manager->Tick();
    waits.push_back(next - clock_.Now());
    clock_.Set(next - absl::Seconds(1));
    manager->Tick();  // not yet due: no order
    clock_.Set(next);
  }

  EXPECT_EQ(waits, std::vector<absl::Duration>(
                       {absl::Minutes(5), absl::Minutes(10), absl::Minutes(20), absl::Minutes(40),
                        absl::Minutes(80), absl::Minutes(160), absl::Hours(4), absl::Hours(4)}));
  EXPECT_EQ(issuer_.calls.size(), 8u);
  EXPECT_EQ(manager->failures(), 8u);
  CertificateStatus status = manager->Status("a.example.com");
  EXPECT_FALSE(status.ready);
  EXPECT_EQ(status.reason, "Failed");
  EXPECT_EQ(status.message.rfind("HTTP-01 validation of a.example.com: 404; next attempt at ", 0),
            0u);
}

TEST_F(CertificateManagerTest, BackOffOfOneNameDoesNotHoldBackOthers) {
  issuer_.error = absl::FailedPreconditionError("DNS problem: NXDOMAIN looking up A for bad");
  issuer_.failing = {"bad.example.com"};
  std::unique_ptr<CertificateManager> manager = Manager();
  manager->SetNames({"bad.example.com"});
  manager->Tick();

  manager->SetNames({"bad.example.com", "good.example.com"});
  manager->Tick();

  EXPECT_EQ(issuer_.calls.size(), 2u);
  EXPECT_TRUE(manager->Status("good.example.com").ready);
  EXPECT_EQ(manager->Status("bad.example.com").reason, "Failed");
}

TEST_F(CertificateManagerTest, RetryAfterFromTheCaLengthensTheBackOff) {
  issuer_.error = WithRetryAfter(absl::ResourceExhaustedError("rateLimited"), absl::Hours(3));
  std::unique_ptr<CertificateManager> manager = Manager();
  manager->SetNames({"a.example.com"});

  absl::Time next = manager->Tick();

  EXPECT_EQ(next - clock_.Now(), absl::Hours(3));
}

TEST_F(CertificateManagerTest, RateLimitsNewOrdersOverall) {
  std::unique_ptr<CertificateManager> manager = Manager({.max_orders_per_hour = 3});
  manager->SetNames(
      {"a.example.com", "b.example.com", "c.example.com", "d.example.com", "e.example.com"});
  absl::Time start = clock_.Now();

  absl::Time next = manager->Tick();

  EXPECT_EQ(issuer_.calls.size(), 3u);
  EXPECT_EQ(next, start + absl::Hours(1));
  EXPECT_EQ(manager->Status("d.example.com").reason, "RateLimited");
  EXPECT_EQ(manager->Status("e.example.com").reason, "RateLimited");
  clock_.Set(next);
  manager->Tick();
  EXPECT_EQ(issuer_.calls.size(), 5u);
  EXPECT_TRUE(manager->Status("e.example.com").ready);
}

TEST_F(CertificateManagerTest, LoadsAndInstallsWhatIsOnDiskWithoutOrdering) {
  Manager()->SetNames({"a.example.com"});
  {
    std::unique_ptr<CertificateManager> first = Manager();
    first->SetNames({"a.example.com"});
    first->Tick();
  }
  sink_.installed.clear();
  clock_.Advance(10 * kDay);

  std::unique_ptr<CertificateManager> second = Manager();  // Load() installs at once
  EXPECT_EQ(sink_.installed, std::vector<std::string>({"a.example.com"}));
  second->SetNames({"a.example.com"});
  second->Tick();

  EXPECT_EQ(issuer_.calls.size(), 1u);  // only the first manager's order
  EXPECT_EQ(second->orders(), 0u);
  EXPECT_TRUE(second->Status("a.example.com").ready);
}

TEST_F(CertificateManagerTest, ExpiredCertificateOnDiskIsOrderedAgain) {
  {
    std::unique_ptr<CertificateManager> first = Manager();
    first->SetNames({"a.example.com"});
    first->Tick();
  }
  sink_.installed.clear();
  clock_.Advance(91 * kDay);

  std::unique_ptr<CertificateManager> second = Manager();
  EXPECT_TRUE(sink_.installed.empty());
  second->SetNames({"a.example.com"});
  second->Tick();

  EXPECT_EQ(issuer_.calls.size(), 2u);
  EXPECT_TRUE(second->Status("a.example.com").ready) << second->Status("a.example.com").message;
}

TEST_F(CertificateManagerTest, KeyOnDiskThatOthersCanReadIsNotUsed) {
  {
    std::unique_ptr<CertificateManager> first = Manager();
    first->SetNames({"a.example.com"});
    first->Tick();
  }
  sink_.installed.clear();
  ::chmod((dir_ + "/certs/a.example.com.key").c_str(), 0644);

  std::unique_ptr<CertificateManager> second = Manager();

  EXPECT_TRUE(sink_.installed.empty());
}

TEST_F(CertificateManagerTest, RemovedNameIsNoLongerRenewedButItsFilesStay) {
  std::unique_ptr<CertificateManager> manager = Manager();
  manager->SetNames({"a.example.com"});
  manager->Tick();

  manager->SetNames({});
  clock_.Advance(80 * kDay);

  EXPECT_EQ(manager->Tick(), absl::InfiniteFuture());
  EXPECT_EQ(issuer_.calls.size(), 1u);
  EXPECT_EQ(manager->Status("a.example.com").reason, "NotRequested");
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/certs/a.example.com.crt"));
}

TEST_F(CertificateManagerTest, NamesThatHttp01CannotProveAreNeverOrdered) {
  std::unique_ptr<CertificateManager> manager = Manager();
  manager->SetNames({"*.example.com", "bad_name.example.com", "../etc.example.com", "-a.com"});

  manager->Tick();

  EXPECT_TRUE(issuer_.calls.empty());
  CertificateStatus wildcard = manager->Status("*.example.com");
  EXPECT_EQ(wildcard.reason, "InvalidName");
  EXPECT_NE(wildcard.message.find("DNS-01"), std::string::npos);
  EXPECT_EQ(manager->Status("bad_name.example.com").reason, "InvalidName");
  EXPECT_EQ(manager->Status("-a.com").reason, "InvalidName");
}

TEST_F(CertificateManagerTest, NamesAreComparedWithoutCaseOrFinalDot) {
  std::unique_ptr<CertificateManager> manager = Manager();
  manager->SetNames({"A.Example.COM."});

  manager->Tick();

  EXPECT_EQ(issuer_.calls, std::vector<std::vector<std::string>>({{"a.example.com"}}));
  EXPECT_TRUE(manager->Status("a.example.com").ready);
  EXPECT_TRUE(manager->Status("A.EXAMPLE.com").ready);
}

TEST_F(CertificateManagerTest, FailedRenewalKeepsTheCertificateServedAndSaysWhy) {
  std::unique_ptr<CertificateManager> manager = Manager();
  manager->SetNames({"a.example.com"});
  manager->Tick();
  issuer_.error = absl::UnavailableError("POST https://ca/order: connect failed");
  clock_.Advance(70 * kDay);

  manager->Tick();

  CertificateStatus status = manager->Status("a.example.com");
  EXPECT_TRUE(status.ready);
  EXPECT_NE(status.message.find("renewal failed: POST https://ca/order: connect failed"),
            std::string::npos);
}

TEST_F(CertificateManagerTest, RefusedInstallIsAFailure) {
  issuer_.lifetime = -kDay;  // already expired: InspectCertificate is fine, the status is not
  std::unique_ptr<CertificateManager> manager = Manager();
  manager->SetNames({"a.example.com"});

  manager->Tick();

  EXPECT_FALSE(manager->Status("a.example.com").ready);
}

TEST_F(CertificateManagerTest, ItsThreadObtainsCertificatesForNamesSetLater) {
  base::MetricsRegistry registry;
  std::unique_ptr<CertificateManager> manager = Manager({.registry = &registry});
  manager->Start();

  manager->SetNames({"a.example.com"});
  for (int i = 0; i < 500 && !manager->Status("a.example.com").ready; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  manager->Stop();

  EXPECT_TRUE(manager->Status("a.example.com").ready);
  EXPECT_NE(registry.Render().find("prevu_acme_orders_total 1"), std::string::npos);
}

}  // namespace
}  // namespace prevu::proxy::acme

// The certificate store on its own: which names a certificate covers (exact and one-label
// wildcards), what Install refuses and why, and files whose errors name them.
#include "proxy/tls/certificate_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "tests/proxy/tls/tls_test_support.h"

namespace prevu::proxy::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CertificateStoreTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    return dir_.Write(name, content);
  }

  TempDir dir_;
  CertificateStore store_;
};

TEST_F(CertificateStoreTest, CoversExactNamesAndOneLabelUnderAWildcard) {
  TestCertificate certificate = SelfSigned("shop", {"Shop.Example.com", "*.preview.test"});

  ASSERT_TRUE(store_.Install(certificate.chain_pem, certificate.key_pem).ok());

  EXPECT_TRUE(store_.Covers("shop.example.com"));
  EXPECT_TRUE(store_.Covers("SHOP.example.com:8080"));
  EXPECT_TRUE(store_.Covers("shop.example.com."));
  EXPECT_TRUE(store_.Covers("pr-1.preview.test"));
  EXPECT_FALSE(store_.Covers("a.pr-1.preview.test"));
  EXPECT_FALSE(store_.Covers("preview.test"));
  EXPECT_FALSE(store_.Covers("example.com"));
  EXPECT_FALSE(store_.Covers(""));
  EXPECT_THAT(store_.Names(), ElementsAre("*.preview.test", "shop.example.com"));
}

TEST_F(CertificateStoreTest, EmptyStoreCoversNothing) {
  EXPECT_FALSE(store_.Covers("localhost"));
  EXPECT_TRUE(store_.Names().empty());
}

TEST_F(CertificateStoreTest, AnInstallReplacesOnlyTheNamesItCarries) {
  TestCertificate first = SelfSigned("first", {"a.test", "b.test"});
  TestCertificate second = SelfSigned("second", {"b.test", "c.test"});

  ASSERT_TRUE(store_.Install(first.chain_pem, first.key_pem).ok());
  ASSERT_TRUE(store_.Install(second.chain_pem, second.key_pem).ok());

  EXPECT_THAT(store_.Names(), ElementsAre("a.test", "b.test", "c.test"));
}

TEST_F(CertificateStoreTest, AnotherThreadsInstallIsSeenAtTheNextLookup) {
  TestCertificate certificate = SelfSigned("late", {"late.test"});
  EXPECT_FALSE(store_.Covers("late.test"));  // this thread now holds the empty snapshot

  std::thread([&] {
    ASSERT_TRUE(store_.Install(certificate.chain_pem, certificate.key_pem).ok());
  }).join();

  EXPECT_TRUE(store_.Covers("late.test"));
}

TEST_F(CertificateStoreTest, RsaKeysAreAcceptedToo) {
  TestCertificate certificate = SelfSigned("rsa", {"rsa.test"}, KeyType::kRsa2048);

  absl::Status status = store_.Install(certificate.chain_pem, certificate.key_pem);

  EXPECT_TRUE(status.ok()) << status;
  EXPECT_TRUE(store_.Covers("rsa.test"));
}

TEST_F(CertificateStoreTest, InstallRefusesWhatCannotServe) {
  TestCertificate good = SelfSigned("good", {"good.test"});
  TestCertificate other = SelfSigned("other", {"other.test"});
  TestCertificate nameless = SelfSigned("nameless", {});
  struct Case {
    std::string chain;
    std::string key;
    std::string message;
  };
  std::vector<Case> cases = {
      {"not pem", good.key_pem, "certificate chain: no PEM certificate"},
      {good.chain_pem, "not pem", "private key: no unencrypted PEM private key"},
      {good.chain_pem, other.key_pem, "private key does not match"},
      {nameless.chain_pem, nameless.key_pem, "no DNS name in its subjectAltName"},
      {good.chain_pem + "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n",
       good.key_pem, "certificate 2 of the chain does not parse"},
  };

  for (const Case& c : cases) {
    absl::Status status = store_.Install(c.chain, c.key);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message));
  }
  EXPECT_TRUE(store_.Names().empty());
}

TEST_F(CertificateStoreTest, InstallFilesReadsPemFiles) {
  TestCertificate certificate = SelfSigned("files", {"*.files.test"});
  std::string cert_file = Write("cert.pem", certificate.chain_pem);
  std::string key_file = Write("key.pem", certificate.key_pem);

  absl::Status status = store_.InstallFiles(cert_file, key_file);

  EXPECT_TRUE(status.ok()) << status;
  EXPECT_TRUE(store_.Covers("a.files.test"));
}

TEST_F(CertificateStoreTest, InstallFilesErrorsNameTheFile) {
  TestCertificate certificate = SelfSigned("files", {"files.test"});
  TestCertificate other = SelfSigned("other", {"other.test"});
  std::string cert_file = Write("cert.pem", certificate.chain_pem);
  std::string key_file = Write("key.pem", certificate.key_pem);
  std::string other_key = Write("other-key.pem", other.key_pem);
  std::string garbage = Write("garbage.pem", "hello");
  std::string missing = dir_.path() + "/missing.pem";

  absl::Status no_cert = store_.InstallFiles(missing, key_file);
  absl::Status no_key = store_.InstallFiles(cert_file, missing);
  absl::Status bad_cert = store_.InstallFiles(garbage, key_file);
  absl::Status bad_key = store_.InstallFiles(cert_file, garbage);
  absl::Status wrong_key = store_.InstallFiles(cert_file, other_key);

  EXPECT_EQ(no_cert.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(no_cert.message()), HasSubstr("certificate file " + missing));
  EXPECT_THAT(std::string(no_key.message()), HasSubstr("key file " + missing));
  EXPECT_THAT(std::string(bad_cert.message()), HasSubstr("certificate file " + garbage + ": no"));
  EXPECT_THAT(std::string(bad_key.message()), HasSubstr("key file " + garbage + ": no"));
  EXPECT_THAT(std::string(wrong_key.message()),
              HasSubstr("key file " + other_key +
                        " does not match the first certificate of "
                        "certificate file " +
                        cert_file));
  EXPECT_TRUE(store_.Names().empty());
}

}  // namespace
}  // namespace prevu::proxy::testing

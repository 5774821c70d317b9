// The CSR sent at finalization, parsed back independently: names, key type, signature.
#include "proxy/acme/certificate_request.h"

#include <gtest/gtest.h>

#include "proxy/acme/certificate_info.h"
#include "proxy/acme/ec_key.h"
#include "tests/proxy/acme/test_pki.h"

namespace prevu::proxy::acme {
namespace {

TEST(CertificateRequestTest, CarriesTheNamesAsSubjectAltNamesSignedByANewP256Key) {
  absl::StatusOr<CertificateRequest> csr =
      MakeCertificateRequest({"pr-12-shop.preview.example.com", "alt.example.com"});
  ASSERT_TRUE(csr.ok()) << csr.status();

  absl::StatusOr<testing::CsrContents> contents = testing::ReadCsr(csr->der);

  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(contents->dns_names,
            std::vector<std::string>({"pr-12-shop.preview.example.com", "alt.example.com"}));
  EXPECT_EQ(contents->common_name, "pr-12-shop.preview.example.com");
  EXPECT_EQ(contents->key_type, "EC P-256");
  EXPECT_TRUE(contents->signature_valid);
}

TEST(CertificateRequestTest, ItsKeyIsTheOneThatGoesWithTheCertificate) {
  absl::StatusOr<CertificateRequest> csr = MakeCertificateRequest({"a.example.com"});
  testing::TestCa ca;
  absl::Time now = absl::Now();

  std::string chain = *ca.IssueForCsr(csr->der, now, now + absl::Hours(24));

  EXPECT_TRUE(CheckKeyMatchesCertificate(chain, csr->key_pem).ok());
  EXPECT_TRUE(EcKey::FromPem(csr->key_pem).ok());
}

TEST(CertificateRequestTest, EachRequestHasItsOwnKey) {
  absl::StatusOr<CertificateRequest> first = MakeCertificateRequest({"a.example.com"});
  absl::StatusOr<CertificateRequest> second = MakeCertificateRequest({"a.example.com"});

  EXPECT_NE(first->key_pem, second->key_pem);
}

TEST(CertificateRequestTest, LongFirstNameIsLeftOutOfTheCommonName) {
  std::string long_name = std::string(60, 'a') + ".example.com";  // 72 characters

  absl::StatusOr<testing::CsrContents> contents =
      testing::ReadCsr(MakeCertificateRequest({long_name})->der);

  EXPECT_EQ(contents->common_name, "");
  EXPECT_EQ(contents->dns_names, std::vector<std::string>({long_name}));
}

TEST(CertificateRequestTest, NoNamesIsAnError) {
  EXPECT_TRUE(absl::IsInvalidArgument(MakeCertificateRequest({}).status()));
}

}  // namespace
}  // namespace prevu::proxy::acme

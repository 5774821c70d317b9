// Forward auth over HTTPS against a real TLS server on 127.0.0.1 written directly with OpenSSL:
// the service's certificate is verified against the configured CA file and the URL's host name,
// and any failure to verify leaves the request unanswered (the proxy then fails closed).
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <thread>

#include "proxy/auth/forward_auth_client.h"
#include "tests/proxy/test_http.h"
#include "tests/proxy/tls/tls_test_support.h"

namespace prevu::proxy {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;
using testing::TestCertificate;
using Outcome = ForwardAnswer::Outcome;

// An HTTPS auth service: one connection at a time, one answer per connection.
class TlsAuthService {
 public:
  TlsAuthService(const TestCertificate& certificate, std::string answer)
      : answer_(std::move(answer)) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    BIO* chain = BIO_new_mem_buf(certificate.chain_pem.data(), -1);
    BIO* key = BIO_new_mem_buf(certificate.key_pem.data(), -1);
    X509* x509 = PEM_read_bio_X509(chain, nullptr, nullptr, nullptr);
    EVP_PKEY* pkey = PEM_read_bio_PrivateKey(key, nullptr, nullptr, nullptr);
    SSL_CTX_use_certificate(ctx_, x509);
    SSL_CTX_use_PrivateKey(ctx_, pkey);
    X509_free(x509);
    EVP_PKEY_free(pkey);
    BIO_free(chain);
    BIO_free(key);
    listen_fd_ = testing::ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }

  ~TlsAuthService() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
    SSL_CTX_free(ctx_);
  }

  uint16_t port() const { return port_; }

  std::vector<std::string> heads() {
    std::lock_guard<std::mutex> lock(mu_);
    return heads_;
  }

 private:
  void Serve() {
    while (true) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) {
        return;
      }
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) == 1) {
        std::string head;
        char buffer[4096];
        while (head.find("\r\n\r\n") == std::string::npos) {
          int n = SSL_read(ssl, buffer, sizeof(buffer));
          if (n <= 0) {
            break;
          }
          head.append(buffer, static_cast<size_t>(n));
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          heads_.push_back(head);
        }
        SSL_write(ssl, answer_.data(), static_cast<int>(answer_.size()));
        SSL_shutdown(ssl);
      }
      SSL_free(ssl);
      ::close(fd);
    }
  }

  std::string answer_;
  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::vector<std::string> heads_;
  std::thread thread_;
};

constexpr char kApproval[] =
    "HTTP/1.1 200 OK\r\nRemote-User: alice\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

class ForwardAuthTlsTest : public ::testing::Test {
 protected:
  ForwardAuthTlsTest() { ca_file_ = dir_.Write("ca.pem", localhost_.chain_pem); }

  // Asks https://`host`:`port`/verify, trusting `ca_file`, on an io_context run here.
  ForwardAnswer Ask(const std::string& host, uint16_t port, const std::string& ca_file) {
    absl::StatusOr<ForwardTarget> target =
        ParseForwardUrl("https://" + host + ":" + std::to_string(port) + "/verify");
    EXPECT_TRUE(target.ok());
    ForwardAuthClient::Options options;
    options.ca_file = ca_file;
    asio::io_context io;
    absl::StatusOr<std::unique_ptr<ForwardAuthClient>> client =
        ForwardAuthClient::Create(io, *target, options);
    EXPECT_TRUE(client.ok()) << client.status();
    ForwardAuthRequest request;
    request.method = "GET";
    request.proto = "https";
    request.host = "pr-1.example.com";
    request.uri = "/secret";
    request.forwarded_for = "192.0.2.7";
    ForwardAnswer answer;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { answer = co_await (*client)->Ask(request); },
        asio::detached);
    io.run();
    return answer;
  }

  TempDir dir_;
  TestCertificate localhost_ = testing::SelfSigned("localhost", {"localhost"});
  std::string ca_file_;
};

TEST_F(ForwardAuthTlsTest, AsksOverHttpsWithAVerifiedCertificate) {
  TlsAuthService service(localhost_, kApproval);

  ForwardAnswer answer = Ask("localhost", service.port(), ca_file_);

  EXPECT_EQ(answer.outcome, Outcome::kAnswered);
  EXPECT_EQ(answer.status, 200);
  ASSERT_EQ(service.heads().size(), 1u);
  EXPECT_THAT(service.heads()[0], HasSubstr("GET /verify HTTP/1.1\r\n"));
  EXPECT_EQ(testing::HeaderValue(service.heads()[0], "x-forwarded-uri"), "/secret");
}

TEST_F(ForwardAuthTlsTest, ACertificateFromAnotherAuthorityIsRefused) {
  TlsAuthService service(testing::SelfSigned("localhost", {"localhost"}), kApproval);

  EXPECT_EQ(Ask("localhost", service.port(), ca_file_).outcome, Outcome::kUnreachable);
  EXPECT_TRUE(service.heads().empty());
}

TEST_F(ForwardAuthTlsTest, ACertificateForAnotherNameIsRefused) {
  TestCertificate other = testing::SelfSigned("auth.example.com", {"auth.example.com"});
  TlsAuthService service(other, kApproval);

  EXPECT_EQ(Ask("localhost", service.port(), dir_.Write("other.pem", other.chain_pem)).outcome,
            Outcome::kUnreachable);
  EXPECT_TRUE(service.heads().empty());
}

TEST_F(ForwardAuthTlsTest, AMissingCaFileIsAnErrorAtCreation) {
  asio::io_context io;
  absl::StatusOr<ForwardTarget> target = ParseForwardUrl("https://localhost/verify");
  ForwardAuthClient::Options options;
  options.ca_file = dir_.path() + "/absent.pem";

  absl::StatusOr<std::unique_ptr<ForwardAuthClient>> client =
      ForwardAuthClient::Create(io, *target, options);

  EXPECT_FALSE(client.ok());
  EXPECT_THAT(client.status().message(), HasSubstr("absent.pem"));
}

}  // namespace
}  // namespace prevu::proxy

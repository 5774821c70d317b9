// Helpers for the TLS tests: self-signed certificates made with OpenSSL's API, a blocking TLS
// client written directly against OpenSSL (not the proxy's own code), and a bridge that lets the
// plain-socket helpers of test_http.h talk HTTP through a TLS connection.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace prevu::proxy::testing {

enum class KeyType { kEcdsaP256, kRsa2048 };

struct TestCertificate {
  std::string chain_pem;
  std::string key_pem;
};

// A self-signed certificate with subject CN `common_name` and the DNS names `dns_names` in its
// subjectAltName, valid from an hour ago for a day.
TestCertificate SelfSigned(const std::string& common_name,
                           const std::vector<std::string>& dns_names,
                           KeyType type = KeyType::kEcdsaP256);

// A temporary directory, removed with everything in it when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to the file `name` in the directory; returns its path.
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// What a TlsClient offers.
struct TlsOptions {
  std::string server_name;                       // SNI; empty sends none
  std::vector<std::string> alpn = {"http/1.1"};  // empty sends no ALPN extension
  std::string ciphers = "DEFAULT:@SECLEVEL=0";   // TLS 1.2 and older; includes weak ones
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
  SSL_SESSION* session = nullptr;  // offered for resumption; not taken over
};

// A blocking TLS client connection to 127.0.0.1:`port`; the handshake runs in the constructor.
// Every read and write gives up after 10 seconds.
class TlsClient {
 public:
  TlsClient(uint16_t port, const TlsOptions& options);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool ok() const { return ok_; }
  // OpenSSL's reasons when the handshake failed ("tlsv1 unrecognized name", ...).
  const std::string& error() const { return error_; }

  std::string PeerCommonName() const;
  std::string Alpn() const;
  std::string Version() const;  // "TLSv1.3"
  bool Resumed() const;
  // The session to offer on a later connection (the caller frees it with SSL_SESSION_free).
  // Read a response first: TLS 1.3 sends its ticket after the handshake.
  SSL_SESSION* Session() const;

  bool Send(const std::string& bytes);
  // Reads one response head and its Content-Length body; "" when none arrives.
  std::string ReadResponse();
  // Reads until the server ends the connection. `*clean` tells whether it sent close_notify
  // first (true) or just closed the socket (false).
  std::string ReadUntilClose(bool* clean);

  SSL* ssl() const { return ssl_; }
  int fd() const { return fd_; }

 private:
  bool Fill();

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool ok_ = false;
  std::string error_;
  std::string pending_;
};

// Accepts plain TCP on 127.0.0.1 and carries each connection, one at a time, over its own
// TlsClient to the TLS port, both ways, so that testing::Client can talk HTTP through TLS. A
// plain side that ends sends close_notify; a TLS side that ends shuts the plain side's sending
// direction.
class TlsBridge {
 public:
  TlsBridge(uint16_t tls_port, std::string server_name);
  ~TlsBridge();

  uint16_t port() const { return port_; }

 private:
  void Run();
  void Carry(int plain_fd);

  uint16_t tls_port_;
  std::string server_name_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::mutex mu_;
  int plain_fd_ = -1;  // the connection being carried
  std::thread thread_;
};

}  // namespace prevu::proxy::testing

// TLS test helpers; see tls_test_support.h.
#include "tests/proxy/tls/tls_test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/proxy/test_http.h"

namespace prevu::proxy::testing {
namespace {

std::string PemOf(int (*write)(BIO*, void*), void* object) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio, object);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

int WriteCertificate(BIO* bio, void* x) { return PEM_write_bio_X509(bio, static_cast<X509*>(x)); }
int WriteKey(BIO* bio, void* key) {
  return PEM_write_bio_PrivateKey(bio, static_cast<EVP_PKEY*>(key), nullptr, nullptr, 0, nullptr,
                                  nullptr);
}

void AddAltNames(X509* x, const std::vector<std::string>& dns_names) {
  std::string names;
  for (const std::string& name : dns_names) {
    names += (names.empty() ? "DNS:" : ",DNS:") + name;
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* extension =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, names.c_str());
  X509_add_ext(x, extension, -1);
  X509_EXTENSION_free(extension);
}

std::string OpenSslErrors() {
  std::string text;
  while (unsigned long error = ERR_get_error()) {
    char reason[256];
    ERR_error_string_n(error, reason, sizeof(reason));
    text += (text.empty() ? "" : "; ") + std::string(reason);
  }
  return text;
}

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

int ConnectLoopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  return fd;
}

// OpenSSL writes to sockets with write(2): a peer that has gone would raise SIGPIPE.
void IgnoreSigpipe() {
  static const bool ignored = [] {
    ::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)ignored;
}

}  // namespace

TestCertificate SelfSigned(const std::string& common_name,
                           const std::vector<std::string>& dns_names, KeyType type) {
  static std::atomic<long> serial{1};
  EVP_PKEY* key = type == KeyType::kEcdsaP256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(x, name);
  if (!dns_names.empty()) {
    AddAltNames(x, dns_names);
  }
  X509_sign(x, key, EVP_sha256());

  TestCertificate certificate{PemOf(WriteCertificate, x), PemOf(WriteKey, key)};
  X509_free(x);
  EVP_PKEY_free(key);
  return certificate;
}

TempDir::TempDir() {
  char pattern[] = "/tmp/prevu-tls-test-XXXXXX";
  path_ = ::mkdtemp(pattern);
}

TempDir::~TempDir() { std::filesystem::remove_all(path_); }

std::string TempDir::Write(const std::string& name, const std::string& content) const {
  std::string file = path_ + "/" + name;
  std::ofstream(file) << content;
  return file;
}

TlsClient::TlsClient(uint16_t port, const TlsOptions& options) {
  IgnoreSigpipe();
  ctx_ = SSL_CTX_new(TLS_client_method());
  // Security level 0 lets the client offer the old versions the proxy must refuse.
  SSL_CTX_set_security_level(ctx_, 0);
  SSL_CTX_set_cipher_list(ctx_, options.ciphers.c_str());
  SSL_CTX_set_min_proto_version(ctx_, options.min_version);
  SSL_CTX_set_max_proto_version(ctx_, options.max_version);
  ssl_ = SSL_new(ctx_);
  // SSL_read returns after a record without data (a TLS 1.3 ticket) instead of blocking for
  // the next one: the bridge calls it only when poll() saw bytes arrive.
  SSL_clear_mode(ssl_, SSL_MODE_AUTO_RETRY);
  if (!options.server_name.empty()) {
    SSL_set_tlsext_host_name(ssl_, options.server_name.c_str());
  }
  if (!options.alpn.empty()) {
    std::string wire;
    for (const std::string& protocol : options.alpn) {
      wire += static_cast<char>(protocol.size()) + protocol;
    }
    SSL_set_alpn_protos(ssl_, reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned int>(wire.size()));
  }
  if (options.session != nullptr) {
    SSL_set_session(ssl_, options.session);
  }

  fd_ = ConnectLoopback(port);
  if (fd_ < 0) {
    error_ = "connect failed";
    return;
  }
  SSL_set_fd(ssl_, fd_);
  ERR_clear_error();
  ok_ = SSL_connect(ssl_) == 1;
  if (!ok_) {
    error_ = OpenSslErrors();
  }
}

TlsClient::~TlsClient() {
  // A session whose connection ends without close_notify is marked not resumable. (So is one
  // in a client-side session cache when its context is freed: the client keeps no cache.)
  if (ok_) {
    SSL_shutdown(ssl_);
  }
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

std::string TlsClient::PeerCommonName() const {
  X509* peer = SSL_get1_peer_certificate(ssl_);
  if (peer == nullptr) {
    return "";
  }
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof(name));
  X509_free(peer);
  return name;
}

std::string TlsClient::Alpn() const {
  const unsigned char* data = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_, &data, &length);
  return std::string(reinterpret_cast<const char*>(data), length);
}

std::string TlsClient::Version() const { return SSL_get_version(ssl_); }

bool TlsClient::Resumed() const { return SSL_session_reused(ssl_) == 1; }

SSL_SESSION* TlsClient::Session() const { return SSL_get1_session(ssl_); }

bool TlsClient::Send(const std::string& bytes) {
  return ok_ && SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
                    static_cast<int>(bytes.size());
}

bool TlsClient::Fill() {
  char buffer[16384];
  int n;
  while ((n = SSL_read(ssl_, buffer, sizeof(buffer))) <= 0) {
    if (SSL_get_error(ssl_, n) != SSL_ERROR_WANT_READ) {
      return false;
    }
  }
  pending_.append(buffer, static_cast<size_t>(n));
  return true;
}

std::string TlsClient::ReadResponse() {
  size_t end;
  while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill()) {
      return "";
    }
  }
  std::string length = HeaderValue(pending_.substr(0, end + 4), "content-length");
  size_t total = end + 4 + (length.empty() ? 0 : std::strtoull(length.c_str(), nullptr, 10));
  while (pending_.size() < total) {
    if (!Fill()) {
      return "";
    }
  }
  std::string response = pending_.substr(0, total);
  pending_.erase(0, total);
  return response;
}

std::string TlsClient::ReadUntilClose(bool* clean) {
  while (Fill()) {
  }
  *clean = (SSL_get_shutdown(ssl_) & SSL_RECEIVED_SHUTDOWN) != 0;
  std::string data = std::move(pending_);
  pending_.clear();
  return data;
}

TlsBridge::TlsBridge(uint16_t tls_port, std::string server_name)
    : tls_port_(tls_port), server_name_(std::move(server_name)) {
  listen_fd_ = ListenOnLoopback(&port_);
  thread_ = std::thread([this] { Run(); });
}

TlsBridge::~TlsBridge() {
  ::shutdown(listen_fd_, SHUT_RDWR);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (plain_fd_ >= 0) {
      ::shutdown(plain_fd_, SHUT_RDWR);
    }
  }
  thread_.join();
  ::close(listen_fd_);
}

void TlsBridge::Run() {
  int fd;
  while ((fd = ::accept(listen_fd_, nullptr, nullptr)) >= 0) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      plain_fd_ = fd;
    }
    Carry(fd);
    std::lock_guard<std::mutex> lock(mu_);
    plain_fd_ = -1;
    ::close(fd);
  }
}

void TlsBridge::Carry(int plain_fd) {
  TlsOptions options;
  options.server_name = server_name_;
  TlsClient tls(tls_port_, options);
  if (!tls.ok()) {
    ::shutdown(plain_fd, SHUT_RDWR);
    return;
  }
  bool plain_open = true;
  bool tls_open = true;
  std::vector<char> buffer(64 * 1024);
  while (plain_open || tls_open) {
    pollfd fds[2] = {{plain_fd, static_cast<short>(plain_open ? POLLIN : 0), 0},
                     {tls.fd(), static_cast<short>(tls_open ? POLLIN : 0), 0}};
    bool buffered = tls_open && SSL_pending(tls.ssl()) > 0;
    if (!buffered && ::poll(fds, 2, 60000) <= 0) {
      return;
    }
    if (plain_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      ssize_t n = ::recv(plain_fd, buffer.data(), buffer.size(), 0);
      if (n <= 0) {
        plain_open = false;
        SSL_shutdown(tls.ssl());
      } else if (!tls.Send(std::string(buffer.data(), static_cast<size_t>(n)))) {
        return;
      }
    }
    if (tls_open && (buffered || (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0)) {
      int n = SSL_read(tls.ssl(), buffer.data(), static_cast<int>(buffer.size()));
      if (n <= 0 && SSL_get_error(tls.ssl(), n) == SSL_ERROR_WANT_READ) {
        continue;  // a record without data
      }
      if (n <= 0) {
        tls_open = false;
        ::shutdown(plain_fd, SHUT_WR);
      } else if (!SendAll(plain_fd, buffer.data(), static_cast<size_t>(n))) {
        return;
      }
    }
  }
}

}  // namespace prevu::proxy::testing

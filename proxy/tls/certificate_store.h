// The certificates the TLS listener serves, by host name. Each installed certificate gets its
// own SSL_CTX, built once. The names → contexts map is an immutable snapshot that Install()
// replaces whole under a mutex while bumping a version; each thread keeps its own reference to
// the snapshot and compares the version once per lookup, so choosing a certificate during a
// handshake, or Covers() on the request path, takes no lock (route_store.h does the same for
// routes, and says why not std::atomic<std::shared_ptr>).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "proxy/tls/certificate_sink.h"
#include "proxy/tls/client_stream.h"

namespace prevu::proxy {

class CertificateStore : public CertificateSink {
 public:
  // An empty store. OpenSSL is not touched until TLS is used (a first Install() or context()),
  // so that a proxy without TLS does not carry its few megabytes of tables.
  CertificateStore();
  ~CertificateStore() override;
  CertificateStore(const CertificateStore&) = delete;
  CertificateStore& operator=(const CertificateStore&) = delete;

  // See CertificateSink. Names are matched without regard to case; a name `*.example.com`
  // covers exactly one more label (`a.example.com`, not `example.com` nor `a.b.example.com`).
  // An RSA or an ECDSA key. Returns InvalidArgument naming what is wrong.
  absl::Status Install(absl::string_view chain_pem, absl::string_view key_pem) override;

  // Reads a PEM chain (leaf first) from `cert_file` and its PEM key from `key_file` and installs
  // them, for `[tls] cert_file` / `key_file` and `prevu proxy --cert/--key`. Errors name the file:
  // NotFound or PermissionDenied when it cannot be read, InvalidArgument when it does not parse
  // or the key does not match.
  absl::Status InstallFiles(const std::string& cert_file, const std::string& key_file);

  // True when a certificate covers `host`, a Host header value (port and case are ignored).
  // Thread-safe; takes no lock except on a thread's first call after an Install().
  bool Covers(absl::string_view host) const;

  // The context every TLS connection starts from: TLS 1.2 and 1.3 only, ECDHE with AEAD
  // ciphers, ALPN http/1.1, session tickets. During the handshake its SNI callback moves the
  // connection to the context of the certificate for the name the client sent, or refuses the
  // handshake with an unrecognized_name alert. Built at the first call; valid for the store's
  // lifetime; thread-safe.
  asio::ssl::context& context();

  // True when the handshake on `ssl` was refused because no certificate covers the name the
  // client sent (or because it sent none).
  static bool RefusedForName(const SSL* ssl);

  // The names served now, sorted ("*.example.com", "shop.example.com"), for logs and tests.
  std::vector<std::string> Names() const;

 private:
  struct Snapshot;

  // Makes `ctx` the context of every name in `names` (normalized; wildcards as "*.suffix").
  void Replace(const std::vector<std::string>& names, const std::shared_ptr<SSL_CTX>& ctx,
               absl::string_view not_after);
  const Snapshot& Current() const;
  static int OnServerName(SSL* ssl, int* alert, void* arg);

  const uint64_t id_;  // tells this store's snapshots apart in a thread's cache
  absl::once_flag base_once_;
  std::optional<asio::ssl::context> base_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_ ABSL_GUARDED_BY(mu_);
  alignas(64) std::atomic<uint64_t> version_{0};
};

}  // namespace prevu::proxy

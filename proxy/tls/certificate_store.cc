// The certificates the TLS listener serves; see certificate_store.h.
#include "proxy/tls/certificate_store.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/base/log.h"
#include "proxy/route_table.h"

namespace prevu::proxy {
namespace {

// TLS 1.2 suites with forward secrecy and authenticated encryption only (ECDHE, then AES-GCM or
// ChaCha20-Poly1305), ECDSA first; TLS 1.3 keeps OpenSSL's list, which is all AEAD.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Every context carries the same session id context, so that a session resumes whichever
// certificate context the SNI callback moved its first connection to.
constexpr unsigned char kSessionContext[] = "prevu-proxy";

// DNS names are at most 253 characters (RFC 1035 §2.3.4).
constexpr size_t kMaxNameBytes = 256;

std::atomic<uint64_t> next_store_id{1};

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

// The index of the SSL ex_data slot that marks a handshake refused for its name.
int RefusedIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
char refused_marker;

// ALPN (RFC 7301 §3.2): http/1.1 when the client offers it; a client that offers only other
// protocols gets the no_application_protocol alert. A client that sends no ALPN is not asked.
int SelectAlpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length,
               const unsigned char* in, unsigned int in_length, void* /*arg*/) {
  constexpr absl::string_view kHttp11 = "http/1.1";
  for (unsigned int i = 0; i < in_length;) {
    unsigned int length = in[i];
    if (i + 1 + length > in_length) {
      break;
    }
    absl::string_view name(reinterpret_cast<const char*>(in + i + 1), length);
    if (name == kHttp11) {
      *out = in + i + 1;
      *out_length = static_cast<unsigned char>(length);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + length;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

// The settings that every context carries. The SNI callback replaces a connection's context
// after the ClientHello, and OpenSSL then reads ALPN and the certificate from the new one, while
// versions, ciphers and tickets stay those of the starting context: both get them all.
void Configure(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_cipher_list(ctx, kTls12Ciphers);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
  // Resumption by stateless tickets only: a server-side cache would be one more lock shared by
  // every thread.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 1);
}

// "example.com" for "*.example.com", the name for any other valid name; empty when `name` is
// not a name this store serves (a wildcard elsewhere than the first label, a NUL, too long).
std::string ValidName(absl::string_view name, bool* wildcard) {
  *wildcard = absl::StartsWith(name, "*.");
  if (*wildcard) {
    name.remove_prefix(2);
  }
  if (name.empty() || name.size() > kMaxNameBytes || name.find('*') != absl::string_view::npos ||
      name.find('\0') != absl::string_view::npos) {
    return "";
  }
  char buffer[kMaxNameBytes];
  return std::string(NormalizeHost(name, buffer, sizeof(buffer)));
}

std::string NotAfter(const X509* leaf) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) != 1) {
    return "unknown";
  }
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int error = errno;
    std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(error));
    if (error == ENOENT) {
      return absl::NotFoundError(message);
    }
    if (error == EACCES) {
      return absl::PermissionDeniedError(message);
    }
    return absl::UnavailableError(message);
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

struct CertificateStore::Snapshot {
  // "*.example.com" is kept under "example.com" in `wildcard`.
  absl::flat_hash_map<std::string, std::shared_ptr<SSL_CTX>> exact;
  absl::flat_hash_map<std::string, std::shared_ptr<SSL_CTX>> wildcard;

  // `host` is normalized (lower case, no port). An exact name wins over a wildcard.
  SSL_CTX* Find(absl::string_view host) const {
    if (host.empty()) {
      return nullptr;
    }
    if (auto it = exact.find(host); it != exact.end()) {
      return it->second.get();
    }
    size_t dot = host.find('.');
    if (dot == absl::string_view::npos || dot == 0) {
      return nullptr;
    }
    auto it = wildcard.find(host.substr(dot + 1));
    return it == wildcard.end() ? nullptr : it->second.get();
  }
};

namespace {

// A certificate parsed and checked, with its own context, before it is installed.
struct Parsed {
  std::shared_ptr<SSL_CTX> ctx;  // one per certificate, shared by its names
  std::vector<std::string> names;
  std::string not_after;
};

absl::StatusOr<std::vector<X509Ptr>> ReadChain(absl::string_view pem, absl::string_view label) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<X509Ptr> chain;
  ERR_clear_error();
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    chain.emplace_back(x);
  }
  unsigned long error = ERR_peek_last_error();
  ERR_clear_error();
  if (chain.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(label, ": no PEM certificate in it"));
  }
  if (ERR_GET_LIB(error) != ERR_LIB_PEM || ERR_GET_REASON(error) != PEM_R_NO_START_LINE) {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": certificate ", chain.size() + 1, " of the chain does not parse"));
  }
  return chain;
}

absl::StatusOr<std::unique_ptr<EVP_PKEY, PkeyFree>> ReadKey(absl::string_view pem,
                                                            absl::string_view label) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  // A callback that knows no password: without one OpenSSL would prompt on the terminal for
  // an encrypted key.
  auto no_password = [](char*, int, int, void*) { return 0; };
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr);
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": no unencrypted PEM private key in it"));
  }
  return std::unique_ptr<EVP_PKEY, PkeyFree>(key);
}

// The DNS names of the leaf's subjectAltName, normalized; wildcards keep their "*.".
std::vector<std::string> DnsNames(X509* leaf) {
  std::vector<std::string> names;
  std::unique_ptr<GENERAL_NAMES, NamesFree> alt(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; alt != nullptr && i < sk_GENERAL_NAME_num(alt.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(alt.get(), i);
    if (name->type != GEN_DNS) {
      continue;
    }
    const ASN1_IA5STRING* dns = name->d.dNSName;
    absl::string_view text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                           static_cast<size_t>(ASN1_STRING_length(dns)));
    bool wildcard = false;
    std::string valid = ValidName(text, &wildcard);
    if (valid.empty()) {
      log::Warn("certificate name skipped: not a name the proxy can serve").With("name", text);
      continue;
    }
    names.push_back(wildcard ? absl::StrCat("*.", valid) : valid);
  }
  return names;
}

absl::StatusOr<Parsed> Parse(absl::string_view chain_pem, absl::string_view key_pem,
                             absl::string_view chain_label, absl::string_view key_label) {
  absl::StatusOr<std::vector<X509Ptr>> chain = ReadChain(chain_pem, chain_label);
  if (!chain.ok()) {
    return chain.status();
  }
  absl::StatusOr<std::unique_ptr<EVP_PKEY, PkeyFree>> key = ReadKey(key_pem, key_label);
  if (!key.ok()) {
    return key.status();
  }
  X509* leaf = chain->front().get();
  if (X509_check_private_key(leaf, key->get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(key_label, " does not match the first certificate of ", chain_label));
  }
  Parsed parsed;
  parsed.names = DnsNames(leaf);
  if (parsed.names.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        chain_label, ": the certificate names no DNS name in its subjectAltName extension"));
  }
  parsed.not_after = NotAfter(leaf);

  parsed.ctx = std::shared_ptr<SSL_CTX>(SSL_CTX_new(TLS_server_method()), SslCtxFree());
  SSL_CTX* ctx = parsed.ctx.get();
  if (ctx == nullptr) {
    return absl::ResourceExhaustedError("OpenSSL cannot create a TLS context");
  }
  Configure(ctx);
  bool ok = SSL_CTX_use_certificate(ctx, leaf) == 1 && SSL_CTX_use_PrivateKey(ctx, key->get()) == 1;
  for (size_t i = 1; ok && i < chain->size(); ++i) {
    ok = SSL_CTX_add1_chain_cert(ctx, (*chain)[i].get()) == 1;
  }
  if (!ok) {
    char reason[256];
    ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(chain_label, ": OpenSSL refuses it: ", reason));
  }
  return parsed;
}

}  // namespace

CertificateStore::CertificateStore()
    : id_(next_store_id.fetch_add(1)), snapshot_(std::make_shared<Snapshot>()) {}

asio::ssl::context& CertificateStore::context() {
  absl::call_once(base_once_, [this] {
    base_.emplace(asio::ssl::context::tls_server);
    SSL_CTX* ctx = base_->native_handle();
    Configure(ctx);
    SSL_CTX_set_tlsext_servername_callback(ctx, OnServerName);
    SSL_CTX_set_tlsext_servername_arg(ctx, this);
  });
  return *base_;
}

CertificateStore::~CertificateStore() = default;

absl::Status CertificateStore::Install(absl::string_view chain_pem, absl::string_view key_pem) {
  absl::StatusOr<Parsed> parsed = Parse(chain_pem, key_pem, "certificate chain", "private key");
  if (!parsed.ok()) {
    return parsed.status();
  }
  Replace(parsed->names, parsed->ctx, parsed->not_after);
  return absl::OkStatus();
}

absl::Status CertificateStore::InstallFiles(const std::string& cert_file,
                                            const std::string& key_file) {
  absl::StatusOr<std::string> chain = ReadFile(cert_file, "certificate file");
  if (!chain.ok()) {
    return chain.status();
  }
  absl::StatusOr<std::string> key = ReadFile(key_file, "key file");
  if (!key.ok()) {
    return key.status();
  }
  absl::StatusOr<Parsed> parsed = Parse(*chain, *key, absl::StrCat("certificate file ", cert_file),
                                        absl::StrCat("key file ", key_file));
  if (!parsed.ok()) {
    return parsed.status();
  }
  Replace(parsed->names, parsed->ctx, parsed->not_after);
  return absl::OkStatus();
}

void CertificateStore::Replace(const std::vector<std::string>& names,
                               const std::shared_ptr<SSL_CTX>& ctx, absl::string_view not_after) {
  uint64_t version = 0;
  {
    absl::MutexLock lock(&mu_);
    auto next = std::make_shared<Snapshot>(*snapshot_);
    for (const std::string& name : names) {
      if (absl::StartsWith(name, "*.")) {
        next->wildcard[name.substr(2)] = ctx;
      } else {
        next->exact[name] = ctx;
      }
    }
    snapshot_ = std::move(next);
    version = version_.load(std::memory_order_relaxed) + 1;
    version_.store(version, std::memory_order_release);
  }
  log::Info("certificate installed")
      .With("names", absl::StrJoin(names, ","))
      .With("not_after", not_after)
      .With("version", version);
}

bool CertificateStore::Covers(absl::string_view host) const {
  char buffer[kMaxNameBytes];
  return Current().Find(NormalizeHost(host, buffer, sizeof(buffer))) != nullptr;
}

bool CertificateStore::RefusedForName(const SSL* ssl) {
  return SSL_get_ex_data(ssl, RefusedIndex()) != nullptr;
}

std::vector<std::string> CertificateStore::Names() const {
  const Snapshot& snapshot = Current();
  std::vector<std::string> names;
  for (const auto& [name, certificate] : snapshot.exact) {
    names.push_back(name);
  }
  for (const auto& [name, certificate] : snapshot.wildcard) {
    names.push_back(absl::StrCat("*.", name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Each thread keeps the last snapshot it read; the mutex is taken only when the version moved
// (or the thread last read another store).
const CertificateStore::Snapshot& CertificateStore::Current() const {
  struct Cache {
    uint64_t store = 0;
    uint64_t version = 0;
    std::shared_ptr<const Snapshot> snapshot;
  };
  thread_local Cache cache;
  uint64_t version = version_.load(std::memory_order_acquire);
  if (cache.store != id_ || cache.version != version) {
    absl::MutexLock lock(&mu_);
    cache.snapshot = snapshot_;
    cache.version = version_.load(std::memory_order_relaxed);
    cache.store = id_;
  }
  return *cache.snapshot;
}

// Called by OpenSSL on the connection's thread once the ClientHello is read, also when the
// client sent no name (OpenSSL 1.1.1 and later).
int CertificateStore::OnServerName(SSL* ssl, int* alert, void* arg) {
  const auto* store = static_cast<const CertificateStore*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  char buffer[kMaxNameBytes];
  absl::string_view host =
      name == nullptr ? absl::string_view() : NormalizeHost(name, buffer, sizeof(buffer));
  SSL_CTX* ctx = store->Current().Find(host);
  if (ctx == nullptr) {
    SSL_set_ex_data(ssl, RefusedIndex(), &refused_marker);
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  // The connection takes a reference on the context: a later Install() does not disturb it.
  if (SSL_set_SSL_CTX(ssl, ctx) == nullptr) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace prevu::proxy

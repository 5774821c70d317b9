// An ACME client (RFC 8555) that obtains certificates with HTTP-01 challenges answered by the
// proxy: directory, nonces, account (made once per account key), order, authorizations,
// challenge, finalization with a CSR, polling and download of the chain. Written against OpenSSL
// and Beast directly.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "controller/base/clock.h"
#include "nlohmann/json.hpp"
#include "proxy/acme/certificate_issuer.h"
#include "proxy/acme/challenge_store.h"
#include "proxy/acme/ec_key.h"
#include "proxy/acme/https_client.h"
#include "proxy/acme/problem.h"

namespace prevu::proxy::acme {

// Defaults and their reasons:
// - order_timeout 5 min: the whole of one Issue(); a CA validates in seconds, and a CA that
//   asks to wait longer than this is better retried by the manager's back-off.
// - max_bad_nonce_retries 10: a CA may refuse any nonce (RFC 8555 section 6.5); Pebble refuses
//   a share of them on purpose. Ten in a row would mean something else is wrong.
// - first_poll_interval 250 ms, doubling up to max_poll_interval 8 s, when the CA sends no
//   Retry-After: quick for a CA that validates at once, gentle for a slow one.
struct AcmeClientOptions {
  std::string directory_url;     // [tls] acme_directory
  std::string email;             // [tls] acme_email, the account's mailto: contact; may be empty
  std::string ca_file;           // [tls] acme_ca_file; empty = the system's trust store
  std::string account_key_path;  // made with mode 0600 when absent
  proxy::ChallengeStore* challenges = nullptr;  // where HTTP-01 answers go; required
  const base::Clock* clock = base::Clock::Real();

  absl::Duration http_timeout = absl::Seconds(30);
  absl::Duration order_timeout = absl::Minutes(5);
  int max_bad_nonce_retries = 10;
  absl::Duration first_poll_interval = absl::Milliseconds(250);
  absl::Duration max_poll_interval = absl::Seconds(8);
};

class AcmeClient : public CertificateIssuer {
 public:
  // Loads or creates the account key and prepares the HTTPS client; does not contact the CA
  // (that happens on the first Issue(), so Prevu starts while the CA is unreachable). Errors of
  // LoadOrCreateAccountKey and HttpsClient::Create; InvalidArgument without a directory URL or a
  // challenge store.
  static absl::StatusOr<std::unique_ptr<AcmeClient>> Create(AcmeClientOptions options);

  // See CertificateIssuer. Registers the account first if this client has not yet (agreeing to
  // the CA's terms of service), answers every pending authorization's HTTP-01 challenge through
  // the challenge store, and removes each answer again when its authorization is decided.
  // Errors carry the CA's `detail` (see ProblemStatus) and, for rateLimited, the Retry-After.
  absl::StatusOr<IssuedCertificate> Issue(const std::vector<std::string>& names) override;
  void Cancel() override;

  // "<token>.<account key thumbprint>" (RFC 8555 section 8.1).
  std::string KeyAuthorization(absl::string_view token) const;

  // The account's URL once registered, else empty. Call from Issue()'s thread.
  const std::string& account_url() const { return account_url_; }
  // How many badNonce answers were retried. Thread-safe.
  uint64_t bad_nonce_retries() const { return bad_nonce_retries_.load(); }

 private:
  struct Answer {
    HttpResponse http;
    nlohmann::json json;  // null when the body is not JSON
  };

  AcmeClient(AcmeClientOptions options, EcKey account_key, std::string thumbprint,
             std::unique_ptr<HttpsClient> http);

  absl::Status EnsureAccount();
  absl::StatusOr<std::string> TakeNonce();

  // Signs `payload` for `url` (an empty payload is a POST-as-GET) with the account's kid, or its
  // jwk when `with_jwk`, and sends it; retries badNonce with the nonce of the refusal. `what`
  // opens error messages.
  absl::StatusOr<Answer> Post(const std::string& url, absl::string_view payload,
                              absl::string_view what, bool with_jwk = false,
                              absl::string_view accept = "");

  // The status for a CA's refusal: its problem document's, or the HTTP status; with the
  // Retry-After it sent. Forgets the account when the CA no longer knows it.
  absl::Status Refusal(const HttpResponse& http, const std::optional<Problem>& problem,
                       absl::string_view what);

  absl::Status Authorize(const std::string& authorization_url, absl::Time deadline);
  absl::StatusOr<IssuedCertificate> Finalize(const nlohmann::json& order,
                                             const std::string& order_url,
                                             const std::vector<std::string>& names,
                                             absl::Time deadline);

  // POST-as-GETs `url` until the object's status is none of `waiting`, honouring Retry-After.
  absl::StatusOr<nlohmann::json> PollWhile(const std::string& url,
                                           std::initializer_list<absl::string_view> waiting,
                                           absl::string_view what, absl::Time deadline);

  // Waits `duration` unless cancelled first (then Cancelled).
  absl::Status Sleep(absl::Duration duration);

  AcmeClientOptions options_;
  EcKey account_key_;
  std::string thumbprint_;
  std::unique_ptr<HttpsClient> http_;

  // Used by Issue()'s thread only.
  std::string new_nonce_url_;  // from the directory (section 7.1.1); empty until fetched
  std::string new_account_url_;
  std::string new_order_url_;
  std::string account_url_;
  std::string nonce_;

  std::atomic<uint64_t> bad_nonce_retries_{0};
  absl::Notification cancelled_;
};

}  // namespace prevu::proxy::acme

// The ACME protocol flow; see acme_client.h. Section numbers are RFC 8555's.
#include "proxy/acme/acme_client.h"

#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/base/log.h"
#include "controller/base/strings.h"
#include "proxy/acme/account_key.h"
#include "proxy/acme/certificate_info.h"
#include "proxy/acme/certificate_request.h"
#include "proxy/acme/json_util.h"
#include "proxy/acme/jws.h"
#include "proxy/acme/problem.h"

namespace prevu::proxy::acme {
namespace {

constexpr char kJoseJson[] = "application/jose+json";
constexpr char kPemChain[] = "application/pem-certificate-chain";

bool IsOneOf(absl::string_view value, std::initializer_list<absl::string_view> set) {
  return std::find(set.begin(), set.end(), value) != set.end();
}

// The CA's reason from an object's `error` member (section 7.1.3, 7.1.4, 8), or `fallback`.
absl::Status ErrorOf(const nlohmann::json& object, absl::string_view what,
                     absl::string_view fallback) {
  if (object.is_object() && object.contains("error")) {
    if (std::optional<Problem> problem = ParseProblem(object["error"])) {
      return ProblemStatus(*problem, what);
    }
  }
  return absl::FailedPreconditionError(absl::StrCat(what, ": ", fallback));
}

// The `http-01` challenge of an authorization, or null.
const nlohmann::json* Http01Challenge(const nlohmann::json& authorization) {
  auto challenges = authorization.find("challenges");
  if (challenges == authorization.end() || !challenges->is_array()) {
    return nullptr;
  }
  for (const nlohmann::json& challenge : *challenges) {
    if (StringOrEmpty(challenge, "type") == "http-01") {
      return &challenge;
    }
  }
  return nullptr;
}

std::vector<std::string> StringArray(const nlohmann::json& object, const char* name) {
  std::vector<std::string> values;
  auto it = object.is_object() ? object.find(name) : object.end();
  if (it != object.end() && it->is_array()) {
    for (const nlohmann::json& value : *it) {
      if (value.is_string()) {
        values.push_back(value.get<std::string>());
      }
    }
  }
  return values;
}

}  // namespace

AcmeClient::AcmeClient(AcmeClientOptions options, EcKey account_key, std::string thumbprint,
                       std::unique_ptr<HttpsClient> http)
    : options_(std::move(options)),
      account_key_(std::move(account_key)),
      thumbprint_(std::move(thumbprint)),
      http_(std::move(http)) {}

absl::StatusOr<std::unique_ptr<AcmeClient>> AcmeClient::Create(AcmeClientOptions options) {
  if (options.directory_url.empty() || options.challenges == nullptr) {
    return absl::InvalidArgumentError("ACME needs a directory URL and a challenge store");
  }
  absl::StatusOr<EcKey> key = LoadOrCreateAccountKey(options.account_key_path);
  if (!key.ok()) {
    return key.status();
  }
  absl::StatusOr<std::string> thumbprint = JwkThumbprint(key->PublicJwk());
  absl::StatusOr<std::unique_ptr<HttpsClient>> http =
      HttpsClient::Create({.ca_file = options.ca_file, .timeout = options.http_timeout});
  if (!thumbprint.ok() || !http.ok()) {
    return thumbprint.ok() ? http.status() : thumbprint.status();
  }
  return std::unique_ptr<AcmeClient>(new AcmeClient(std::move(options), std::move(*key),
                                                    std::move(*thumbprint), std::move(*http)));
}

std::string AcmeClient::KeyAuthorization(absl::string_view token) const {
  return absl::StrCat(token, ".", thumbprint_);
}

void AcmeClient::Cancel() {
  if (!cancelled_.HasBeenNotified()) {
    cancelled_.Notify();
  }
}

absl::Status AcmeClient::Sleep(absl::Duration duration) {
  if (cancelled_.WaitForNotificationWithTimeout(duration)) {
    return absl::CancelledError("ACME client stopped");
  }
  return absl::OkStatus();
}

absl::StatusOr<IssuedCertificate> AcmeClient::Issue(const std::vector<std::string>& names) {
  absl::Time deadline = options_.clock->Now() + options_.order_timeout;
  std::string what = absl::StrCat("order for ", absl::StrJoin(names, ", "));
  if (cancelled_.HasBeenNotified()) {
    return absl::CancelledError("ACME client stopped");
  }
  if (absl::Status account = EnsureAccount(); !account.ok()) {
    return account;
  }

  // Section 7.4: the order, then every authorization it lists.
  nlohmann::json identifiers = nlohmann::json::array();
  for (const std::string& name : names) {
    identifiers.push_back({{"type", "dns"}, {"value", name}});
  }
  absl::StatusOr<Answer> created =
      Post(new_order_url_, nlohmann::json{{"identifiers", identifiers}}.dump(), what);
  if (!created.ok()) {
    return created.status();
  }
  std::string order_url = created->http.Header("Location");
  if (order_url.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": the CA sent no order URL"));
  }
  for (const std::string& authorization : StringArray(created->json, "authorizations")) {
    if (absl::Status authorized = Authorize(authorization, deadline); !authorized.ok()) {
      return authorized;
    }
  }

  absl::StatusOr<nlohmann::json> order = PollWhile(order_url, {"pending"}, what, deadline);
  if (!order.ok()) {
    return order.status();
  }
  if (StringOrEmpty(*order, "status") != "ready") {
    return ErrorOf(*order, what, absl::StrCat("order is ", StringOrEmpty(*order, "status")));
  }
  return Finalize(*order, order_url, names, deadline);
}

absl::Status AcmeClient::EnsureAccount() {
  if (!account_url_.empty()) {
    return absl::OkStatus();
  }
  if (new_order_url_.empty()) {
    absl::StatusOr<HttpResponse> directory = http_->Send("GET", options_.directory_url);
    if (!directory.ok()) {
      return directory.status();
    }
    nlohmann::json urls = nlohmann::json::parse(directory->body, nullptr, false);
    new_nonce_url_ = StringOrEmpty(urls, "newNonce");
    new_account_url_ = StringOrEmpty(urls, "newAccount");
    new_order_url_ = StringOrEmpty(urls, "newOrder");
    if (directory->status != 200 || new_nonce_url_.empty() || new_account_url_.empty() ||
        new_order_url_.empty()) {
      new_order_url_.clear();
      return absl::FailedPreconditionError(absl::StrCat(
          options_.directory_url, " is not an ACME directory (HTTP ", directory->status, ")"));
    }
  }

  // Section 7.3: registering a key that already has an account answers 200 with its URL.
  nlohmann::json account = {{"termsOfServiceAgreed", true}};
  if (!options_.email.empty()) {
    account["contact"] = {absl::StrCat("mailto:", options_.email)};
  }
  absl::StatusOr<Answer> answer =
      Post(new_account_url_, account.dump(), "ACME account registration", /*with_jwk=*/true);
  if (!answer.ok()) {
    return answer.status();
  }
  std::string status = StringOrEmpty(answer->json, "status");
  if (answer->http.Header("Location").empty() || (!status.empty() && status != "valid")) {
    return absl::FailedPreconditionError(absl::StrCat("ACME account registration: the account is ",
                                                      status.empty() ? "unknown" : status));
  }
  account_url_ = answer->http.Header("Location");
  log::Info("acme account ready").With("account", account_url_);
  return absl::OkStatus();
}

absl::StatusOr<std::string> AcmeClient::TakeNonce() {
  if (nonce_.empty()) {
    // Section 7.2: HEAD newNonce answers with a fresh Replay-Nonce.
    absl::StatusOr<HttpResponse> fresh = http_->Send("HEAD", new_nonce_url_);
    if (!fresh.ok()) {
      return fresh.status();
    }
    if (fresh->Header("Replay-Nonce").empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(new_nonce_url_, " sent no Replay-Nonce (HTTP ", fresh->status, ")"));
    }
    nonce_ = fresh->Header("Replay-Nonce");
  }
  return std::exchange(nonce_, std::string());
}

absl::StatusOr<AcmeClient::Answer> AcmeClient::Post(const std::string& url,
                                                    absl::string_view payload,
                                                    absl::string_view what, bool with_jwk,
                                                    absl::string_view accept) {
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<std::string> nonce = TakeNonce();
    if (!nonce.ok()) {
      return nonce.status();
    }
    absl::StatusOr<std::string> body = SignJws(
        account_key_, AcmeProtectedHeader(account_key_, *nonce, url, with_jwk ? "" : account_url_),
        payload);
    if (!body.ok()) {
      return body.status();
    }
    absl::StatusOr<HttpResponse> http = http_->Send("POST", url, kJoseJson, *body, accept);
    if (!http.ok()) {
      return http.status();
    }

    // Section 6.5: every answer, refusals included, carries the next nonce to use.
    nonce_ = http->Header("Replay-Nonce");
    if (http->status < 400) {
      nlohmann::json json = nlohmann::json::parse(http->body, nullptr, false);
      return Answer{std::move(*http), std::move(json)};
    }
    std::optional<Problem> problem = ParseProblemBody(http->body);
    if (problem && problem->ShortType() == "badNonce" && attempt < options_.max_bad_nonce_retries) {
      bad_nonce_retries_.fetch_add(1);
      continue;
    }
    return Refusal(*http, problem, what);
  }
}

absl::Status AcmeClient::Refusal(const HttpResponse& http, const std::optional<Problem>& problem,
                                 absl::string_view what) {
  if (problem && problem->ShortType() == "accountDoesNotExist") {
    account_url_.clear();  // the CA was reset or forgot us: register again next time
  }
  absl::Status status;
  if (problem) {
    status = ProblemStatus(*problem, what);
  } else {
    std::string message = absl::StrCat(what, ": the CA answered HTTP ", http.status);
    status = http.status >= 500 ? absl::UnavailableError(message)
                                : absl::FailedPreconditionError(message);
  }
  std::optional<absl::Duration> wait =
      ParseRetryAfter(http.Header("Retry-After"), options_.clock->Now());
  return wait ? WithRetryAfter(std::move(status), *wait) : status;
}

absl::Status AcmeClient::Authorize(const std::string& authorization_url, absl::Time deadline) {
  absl::StatusOr<Answer> answer = Post(authorization_url, "", "authorization");
  if (!answer.ok()) {
    return answer.status();
  }
  std::string name = answer->json.is_object() && answer->json.contains("identifier")
                         ? StringOrEmpty(answer->json["identifier"], "value")
                         : authorization_url;
  std::string what = absl::StrCat("HTTP-01 validation of ", name);
  std::string status = StringOrEmpty(answer->json, "status");
  if (status == "valid") {
    return absl::OkStatus();  // section 7.1.4: a recent validation may be reused
  }
  const nlohmann::json* challenge = Http01Challenge(answer->json);
  if (status != "pending" || challenge == nullptr || FindString(*challenge, "token") == nullptr ||
      FindString(*challenge, "url") == nullptr) {
    return ErrorOf(answer->json, what,
                   absl::StrCat("authorization is ", status, " and offers no http-01 challenge"));
  }

  // Section 8.3: publish the key authorization, then tell the CA to look (payload {}).
  std::string token = StringOrEmpty(*challenge, "token");
  options_.challenges->Put(token, KeyAuthorization(token));
  absl::Cleanup unpublish = [&] { options_.challenges->Remove(token); };
  absl::StatusOr<Answer> started = Post(StringOrEmpty(*challenge, "url"), "{}", what);
  if (!started.ok()) {
    return started.status();
  }
  absl::StatusOr<nlohmann::json> decided =
      PollWhile(authorization_url, {"pending"}, what, deadline);
  if (!decided.ok() || StringOrEmpty(*decided, "status") == "valid") {
    return decided.status();
  }
  const nlohmann::json* failed = Http01Challenge(*decided);
  return ErrorOf(failed != nullptr ? *failed : *decided, what,
                 absl::StrCat("authorization is ", StringOrEmpty(*decided, "status")));
}

absl::StatusOr<nlohmann::json> AcmeClient::PollWhile(
    const std::string& url, std::initializer_list<absl::string_view> waiting,
    absl::string_view what, absl::Time deadline) {
  absl::Duration interval = options_.first_poll_interval;
  while (true) {
    absl::StatusOr<Answer> answer = Post(url, "", what);
    if (!answer.ok()) {
      return answer.status();
    }
    std::string status = StringOrEmpty(answer->json, "status");
    if (!IsOneOf(status, waiting)) {
      return std::move(answer->json);
    }

    // Section 7.5.1 and 7.4: wait as long as Retry-After says, never less.
    absl::Time now = options_.clock->Now();
    absl::Duration wait =
        ParseRetryAfter(answer->http.Header("Retry-After"), now).value_or(interval);
    interval = std::min(2 * interval, options_.max_poll_interval);
    if (now + wait > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          what, ": still ", status, " after ", absl::FormatDuration(options_.order_timeout),
          " (the CA asks to wait ", absl::FormatDuration(wait), " more)"));
    }
    if (absl::Status slept = Sleep(wait); !slept.ok()) {
      return slept;
    }
  }
}

absl::StatusOr<IssuedCertificate> AcmeClient::Finalize(const nlohmann::json& order,
                                                       const std::string& order_url,
                                                       const std::vector<std::string>& names,
                                                       absl::Time deadline) {
  // Section 7.4: a CSR with a new key, then wait until the CA has issued.
  std::string what = absl::StrCat("finalizing the order for ", absl::StrJoin(names, ", "));
  absl::StatusOr<CertificateRequest> csr = MakeCertificateRequest(names);
  if (!csr.ok()) {
    return csr.status();
  }
  absl::StatusOr<Answer> finalized =
      Post(StringOrEmpty(order, "finalize"),
           nlohmann::json{{"csr", Base64UrlEncode(csr->der)}}.dump(), what);
  if (!finalized.ok()) {
    return finalized.status();
  }
  absl::StatusOr<nlohmann::json> issued = PollWhile(order_url, {"processing"}, what, deadline);
  if (!issued.ok()) {
    return issued.status();
  }
  if (StringOrEmpty(*issued, "status") != "valid" ||
      FindString(*issued, "certificate") == nullptr) {
    return ErrorOf(*issued, what, absl::StrCat("order is ", StringOrEmpty(*issued, "status")));
  }

  // Section 7.4.2: the chain as PEM, leaf first.
  absl::StatusOr<Answer> chain =
      Post(StringOrEmpty(*issued, "certificate"), "", "downloading the certificate",
           /*with_jwk=*/false, kPemChain);
  if (!chain.ok()) {
    return chain.status();
  }
  absl::Status usable = CheckKeyMatchesCertificate(chain->http.body, csr->key_pem);
  if (!usable.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the CA's certificate for ", names[0], " is unusable: ", usable.message()));
  }
  return IssuedCertificate{std::move(chain->http.body), std::move(csr->key_pem)};
}

}  // namespace prevu::proxy::acme

// The scripted ACME CA; see fake_ca.h.
#include "tests/proxy/acme/fake_ca.h"

#include "absl/strings/str_cat.h"
#include "proxy/acme/jws.h"

namespace prevu::proxy::acme::testing {
namespace {

constexpr char kAcmeError[] = "urn:ietf:params:acme:error:";

// "POST /path HTTP/1.1..." → {"POST", "/path"}
std::pair<std::string, std::string> RequestLine(const std::string& head) {
  size_t space = head.find(' ');
  size_t second = head.find(' ', space + 1);
  return {head.substr(0, space), head.substr(space + 1, second - space - 1)};
}

}  // namespace

FakeCa::FakeCa(proxy::ChallengeStore* challenges, FakeCaScript script)
    : challenges_(challenges),
      script_(std::move(script)),
      server_([this](const proxy::testing::RecordingUpstream::Request& request) {
        return Handle(request);
      }) {}

std::string FakeCa::Url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", server_.port(), path);
}

std::string FakeCa::directory_url() const { return Url("/dir"); }

int FakeCa::accounts() {
  std::lock_guard<std::mutex> lock(mu_);
  return accounts_;
}
int FakeCa::orders() {
  std::lock_guard<std::mutex> lock(mu_);
  return orders_;
}
int FakeCa::bad_nonces_sent() {
  std::lock_guard<std::mutex> lock(mu_);
  return bad_nonces_sent_;
}
std::vector<absl::Time> FakeCa::authorization_polls() {
  std::lock_guard<std::mutex> lock(mu_);
  return authorization_polls_;
}
nlohmann::json FakeCa::last_account_payload() {
  std::lock_guard<std::mutex> lock(mu_);
  return last_account_payload_;
}
std::optional<std::string> FakeCa::challenge_answer() {
  std::lock_guard<std::mutex> lock(mu_);
  return challenge_answer_;
}

std::string FakeCa::Reply(int status, const std::string& content_type, const std::string& body,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string nonce = absl::StrCat("nonce-", next_nonce_++);
  nonces_.insert(nonce);
  std::string head = absl::StrCat("HTTP/1.1 ", status, " X\r\nReplay-Nonce: ", nonce,
                                  "\r\nContent-Length: ", body.size(), "\r\n");
  if (!content_type.empty()) {
    absl::StrAppend(&head, "Content-Type: ", content_type, "\r\n");
  }
  for (const auto& [name, value] : headers) {
    absl::StrAppend(&head, name, ": ", value, "\r\n");
  }
  return absl::StrCat(head, "\r\n", body);
}

std::string FakeCa::Problem(int status, const std::string& type, const std::string& detail) {
  nlohmann::json problem = {{"type", absl::StrCat(kAcmeError, type)}, {"detail", detail}};
  return Reply(status, "application/problem+json", problem.dump());
}

std::string FakeCa::Handle(const proxy::testing::RecordingUpstream::Request& request) {
  auto [method, path] = RequestLine(request.head);
  std::lock_guard<std::mutex> lock(mu_);
  if (method == "GET" && path == "/dir") {
    nlohmann::json directory = {
        {"newNonce", Url("/nonce")}, {"newAccount", Url("/account")}, {"newOrder", Url("/order")}};
    return Reply(200, "application/json", directory.dump());
  }
  if (method == "HEAD" && path == "/nonce") {
    return Reply(200, "", "");
  }
  if (method != "POST") {
    return Reply(405, "", "");
  }
  return HandleSigned(path, request.body);
}

std::string FakeCa::HandleSigned(const std::string& path, const std::string& body) {
  bool new_account = path == "/account";
  if (!new_account && !account_key_) {
    return Problem(400, "accountDoesNotExist", "no account yet");
  }
  absl::StatusOr<VerifiedJws> jws = VerifyJws(body, new_account ? nullptr : &*account_key_);
  if (!jws.ok()) {
    return Problem(400, "malformed", std::string(jws.status().message()));
  }
  const nlohmann::json& header = jws->protected_header;
  if (header.value("url", "") != Url(path)) {
    return Problem(400, "unauthorized", "url in the header is not the request's");
  }
  if (new_account == header.contains("kid") || new_account != header.contains("jwk")) {
    return Problem(400, "malformed", "jwk for newAccount, kid after");
  }
  if (!new_account && header.value("kid", "") != Url("/acct/1")) {
    return Problem(400, "unauthorized", "wrong kid");
  }

  // A nonce is good once. The script may refuse good ones too, as Pebble does on purpose.
  bool known = nonces_.erase(header.value("nonce", "")) == 1;
  if (!known || script_.bad_nonces > 0) {
    script_.bad_nonces -= known ? 1 : 0;
    ++bad_nonces_sent_;
    return Problem(400, "badNonce", "JWS has an invalid anti-replay nonce");
  }
  return Route(path, header, jws->payload);
}

std::string FakeCa::Route(const std::string& path, const nlohmann::json& header,
                          const std::string& payload) {
  if (path == "/account") {
    if (!account_key_) {
      account_key_ = *EcKey::FromJwk(header["jwk"]);
      account_thumbprint_ = *JwkThumbprint(header["jwk"]);
      ++accounts_;
    }
    last_account_payload_ = nlohmann::json::parse(payload);
    return Reply(201, "application/json", R"({"status":"valid"})", {{"Location", Url("/acct/1")}});
  }
  if (path == "/order") {
    ++orders_;
    if (!script_.order_problem.empty()) {
      std::vector<std::pair<std::string, std::string>> headers;
      if (!script_.order_retry_after.empty()) {
        headers.emplace_back("Retry-After", script_.order_retry_after);
      }
      return Reply(script_.order_problem_status, "application/problem+json", script_.order_problem,
                   headers);
    }
    names_.clear();
    chain_.clear();
    challenge_started_ = false;
    challenge_answer_.reset();
    nlohmann::json order = nlohmann::json::parse(payload);
    for (const nlohmann::json& identifier : order["identifiers"]) {
      names_.push_back(identifier["value"]);
    }
    return Reply(201, "application/json", Order(), {{"Location", Url("/order/1")}});
  }
  if (path == "/chall/1") {
    challenge_started_ = true;
    challenge_answer_ = challenges_->Find(token_);
    return Reply(200, "application/json", R"({"type":"http-01","status":"processing"})");
  }
  if (path == "/authz/1") {
    return Authorization();
  }
  if (path == "/order/1") {
    return Reply(200, "application/json", Order());
  }
  if (path == "/finalize/1") {
    return Finalize(payload);
  }
  if (path == "/cert/1" && !chain_.empty()) {
    return Reply(200, "application/pem-certificate-chain", chain_);
  }
  return Problem(404, "malformed", "no such resource");
}

std::string FakeCa::Authorization() {
  authorization_polls_.push_back(absl::Now());
  std::string status = "pending";
  nlohmann::json challenge = {
      {"type", "http-01"}, {"url", Url("/chall/1")}, {"token", token_}, {"status", "pending"}};
  bool answered_late = script_.authorization_retry_after >= 0 && challenge_started_;
  if (answered_late) {
    std::string wait = absl::StrCat(script_.authorization_retry_after);
    script_.authorization_retry_after = -1;
    nlohmann::json pending = {{"status", "pending"},
                              {"identifier", {{"type", "dns"}, {"value", names_[0]}}}};
    pending["challenges"] = {challenge};
    return Reply(200, "application/json", pending.dump(), {{"Retry-After", wait}});
  }
  if (challenge_started_) {
    bool right = challenge_answer_ == absl::StrCat(token_, ".", account_thumbprint_);
    status = right ? "valid" : "invalid";
    challenge["status"] = status;
    if (!right) {
      challenge["error"] = {{"type", absl::StrCat(kAcmeError, "unauthorized")},
                            {"detail", "The key authorization file did not match this challenge"}};
    }
  }
  nlohmann::json authorization = {{"status", status},
                                  {"identifier", {{"type", "dns"}, {"value", names_[0]}}}};
  authorization["challenges"] = {challenge};
  return Reply(200, "application/json", authorization.dump());
}

std::string FakeCa::Order() {
  nlohmann::json order = {{"authorizations", {Url("/authz/1")}}, {"finalize", Url("/finalize/1")}};
  bool validated =
      challenge_started_ && challenge_answer_ == absl::StrCat(token_, ".", account_thumbprint_);
  order["status"] = !chain_.empty() ? "valid" : validated ? "ready" : "pending";
  if (!chain_.empty()) {
    order["certificate"] = Url("/cert/1");
  }
  return order.dump();
}

std::string FakeCa::Finalize(const std::string& payload) {
  nlohmann::json request = nlohmann::json::parse(payload);
  absl::StatusOr<std::string> der = Base64UrlDecode(request.value("csr", ""));
  absl::Time now = absl::Now();
  absl::StatusOr<std::string> chain =
      der.ok() ? ca_.IssueForCsr(*der, now - absl::Minutes(1), now + absl::Hours(24 * 90))
               : der.status();
  if (!chain.ok()) {
    return Problem(400, "badCSR", "the CSR does not parse or verify");
  }
  chain_ = *chain;
  nlohmann::json order = nlohmann::json::parse(Order());
  order["status"] = "processing";  // the next poll finds it valid
  order.erase("certificate");
  return Reply(200, "application/json", order.dump(), {{"Retry-After", "0"}});
}

}  // namespace prevu::proxy::acme::testing

// A scripted ACME CA on a loopback port (plain HTTP) for the client's unit tests. It checks what
// a real CA checks — every JWS signature, the `url` and a single-use `nonce` in each header,
// `jwk` for newAccount and `kid` after — and "validates" an HTTP-01 challenge by reading the
// challenge store directly. The real HTTP path is exercised against Pebble.
#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "proxy/acme/challenge_store.h"
#include "proxy/acme/ec_key.h"
#include "tests/proxy/acme/test_pki.h"
#include "tests/proxy/test_http.h"

namespace prevu::proxy::acme::testing {

struct FakeCaScript {
  int bad_nonces = 0;  // refuse this many signed requests with badNonce, good nonces or not
  int authorization_retry_after = -1;  // seconds: first poll after the challenge stays pending
  // When set, newOrder is refused with this problem document, HTTP status and Retry-After.
  std::string order_problem;
  int order_problem_status = 403;
  std::string order_retry_after;
};

class FakeCa {
 public:
  FakeCa(proxy::ChallengeStore* challenges, FakeCaScript script);

  std::string directory_url() const;
  const TestCa& ca() const { return ca_; }

  int accounts();  // newAccount requests that registered a new key
  int orders();
  int bad_nonces_sent();
  std::vector<absl::Time> authorization_polls();  // when each POST to the authorization came
  nlohmann::json last_account_payload();
  std::optional<std::string> challenge_answer();  // what the store held when the client said go

 private:
  std::string Handle(const proxy::testing::RecordingUpstream::Request& request);
  std::string HandleSigned(const std::string& path, const std::string& body);
  std::string Route(const std::string& path, const nlohmann::json& header,
                    const std::string& payload);
  std::string Authorization();
  std::string Order();
  std::string Finalize(const std::string& payload);
  std::string Reply(int status, const std::string& content_type, const std::string& body,
                    const std::vector<std::pair<std::string, std::string>>& headers = {});
  std::string Problem(int status, const std::string& type, const std::string& detail);
  std::string Url(const std::string& path) const;

  proxy::ChallengeStore* challenges_;
  FakeCaScript script_;
  TestCa ca_;
  std::mutex mu_;
  std::set<std::string> nonces_;  // issued and not yet used
  int next_nonce_ = 0;
  std::optional<EcKey> account_key_;
  std::string account_thumbprint_;
  int accounts_ = 0;
  int orders_ = 0;
  int bad_nonces_sent_ = 0;
  std::vector<std::string> names_;
  std::string token_ = "tok-Zm9vYmFy";
  std::optional<std::string> challenge_answer_;
  bool challenge_started_ = false;
  std::vector<absl::Time> authorization_polls_;
  nlohmann::json last_account_payload_;
  std::string chain_;
  proxy::testing::RecordingUpstream server_;  // last: it calls Handle() until destroyed
};

}  // namespace prevu::proxy::acme::testing

// Paths of the webhook payload fixtures copied into tests/fixtures/webhooks/.
#pragma once

#include <string>

#include "tests/api/http_test_client.h"

namespace prevu::api::testing {

// The contents of tests/fixtures/webhooks/<relative>, e.g. "github/ping.payload.json".
inline std::string Fixture(const std::string& relative) {
  return ReadFileOrDie(std::string(PREVU_WEBHOOK_FIXTURES) + "/" + relative);
}

}  // namespace prevu::api::testing

// The dashboard in a real browser: a preview created through a signed webhook and built by the
// real Docker daemon is shown by GET / in headless Chromium (tests/dashboard/check_dashboard.mjs
// drives it). Screenshots are written to <build dir>/tests/e2e/artefacts/.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/e2e_support.h"

namespace prevu::e2e {
namespace {

constexpr const char* kSecret = "dashboard-secret";
constexpr const char* kScript = PREVU_SOURCE_DIR "/tests/dashboard/check_dashboard.mjs";
constexpr const char* kModules = PREVU_SOURCE_DIR "/tests/dashboard/node_modules/playwright-core";

// Without the browser or its driver the test is skipped, unless PREVU_REQUIRE_BROWSER is set
// (the CI script sets it, after installing both), where their absence is a failure.
bool BrowserMissing(std::string* why) {
  if (::access("/usr/bin/chromium", X_OK) != 0) {
    *why = "Debian's chromium is not installed (apt-get install chromium)";
  } else if (RunCommand("node --version").exit_code != 0) {
    *why = "node is not installed";
  } else if (!std::filesystem::exists(kModules)) {
    *why = "playwright-core is not installed (npm ci in tests/dashboard)";
  } else {
    return false;
  }
  return true;
}

TEST(DashboardE2eTest, ShowsAPreviewFromAWebhookInHeadlessChromium) {
  std::string why;
  if (BrowserMissing(&why)) {
    if (std::getenv("PREVU_REQUIRE_BROWSER") != nullptr) {
      FAIL() << why;
    }
    GTEST_SKIP() << why;
  }
  if (RunCommand("docker info").exit_code != 0) {
    GTEST_SKIP() << "no Docker daemon: start one with .ci/dockerd";
  }
  ASSERT_EQ(RunCommand(PREVU_SOURCE_DIR "/.ci/busybox-image").exit_code, 0);
  const std::string key = "github/e2e/dashboard#7";
  RemoveByKey(key);

  TempDir dir;
  int api_port = FreePort();
  int proxy_port = FreePort();
  PrevuProcess prevu(
      dir.path(),
      absl::StrCat("[api]\nlisten = \"127.0.0.1:", api_port, "\"\n",
                   "[proxy]\nlisten = \"127.0.0.1:", proxy_port, "\"\n", "[state]\ndir = \"",
                   dir.path(), "/state\"\n", "[docker]\ninstance = \"e2e-", api_port, "\"\n",
                   "[github]\nwebhook_secret = \"env:DASHBOARD_SECRET\"\n"),
      {{"DASHBOARD_SECRET", kSecret}});
  ASSERT_TRUE(prevu.Start(api_port).ok()) << prevu.log();

  TempDir repo_dir;
  GitRemote remote(repo_dir.path(), PREVU_SOURCE_DIR "/examples/hello", "look");
  RequestEvent event{.repo = "e2e/dashboard",
                     .number = 7,
                     .action = "opened",
                     .head_sha = remote.Commit("", "", "refs/pull/7/head"),
                     .head_ref = "look",
                     .clone_url = remote.clone_url()};
  ASSERT_EQ(SendGitHub(api_port, kSecret, event).status, 202);
  ASSERT_TRUE(WaitFor(
      [&] {
        HttpResult result =
            Http(api_port, "GET", "127.0.0.1", "/api/v1/previews/github/e2e/dashboard/7");
        return result.status == 200 &&
               nlohmann::json::parse(result.body, nullptr, false)["phase"] == "ready";
      },
      std::chrono::seconds(180)))
      << prevu.log();

  std::filesystem::create_directories(PREVU_ARTEFACT_DIR);
  std::string prefix = PREVU_ARTEFACT_DIR "/dashboard";
  CommandResult browser = RunCommand(absl::StrCat("node ", kScript, " http://127.0.0.1:", api_port,
                                                  "/ '", key, "' ready ", prefix));
  EXPECT_EQ(browser.exit_code, 0) << browser.output;
  EXPECT_TRUE(std::filesystem::exists(prefix + "-desktop.png"));
  EXPECT_TRUE(std::filesystem::exists(prefix + "-phone.png"));

  // Served through the proxy on the apex host, the page is the same.
  HttpResult apex = Http(proxy_port, "GET", "localhost", "/");
  EXPECT_EQ(apex.status, 200);
  EXPECT_NE(apex.body.find("<title>Prevu previews</title>"), std::string::npos);

  event.action = "closed";
  SendGitHub(api_port, kSecret, event);
  WaitFor([&] { return ListByKey(key).empty(); }, std::chrono::seconds(60));
  prevu.Signal(SIGTERM);
  prevu.Wait(std::chrono::seconds(10));
  RemoveByKey(key);
}

}  // namespace
}  // namespace prevu::e2e

// One preview job on its own, around the fakes of its seams: the steps it reports and how soon
// it sees a freshly started app answer.
#include "reconciler/preview_job.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/reconciler/loop_fakes.h"

namespace prevu::reconciler {
namespace {

using Outcome = JobReport::Outcome;

class PreviewJobTest : public ::testing::Test {
 protected:
  PreviewJobTest() {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("preview_job_test_", getpid(), "_", reinterpret_cast<uintptr_t>(this));
    std::filesystem::create_directories(dir_);
    context_.runtime = &runtime_;
    context_.fetcher = &fetcher_;
    context_.probe = &probe_;
    context_.work_dir = dir_.string();
    context_.health_timeout = absl::Seconds(30);
  }

  ~PreviewJobTest() override { std::filesystem::remove_all(dir_); }

  // Runs a job for a new preview to its end; the reports it made.
  std::vector<JobReport> Run() {
    PreviewJob::Input input;
    input.key = controller::PreviewKey{controller::Provider::kGitHub, "acme/shop", 4};
    input.key_text = input.key.ToString();
    input.spec.clone_url = "file:///srv/acme/shop.git";
    input.spec.head_sha = "4444444444444444444444444444444444444444";
    input.spec_hash = "0123456789abcdef";
    std::vector<JobReport> reports;
    PreviewJob job(context_, input, [&](JobReport report) { reports.push_back(report); });
    job.Run();
    return reports;
  }

  std::filesystem::path dir_;
  fakes::FakeRuntime runtime_;
  fakes::FakeFetcher fetcher_;
  fakes::FakeProbe probe_;
  JobContext context_;
};

TEST_F(PreviewJobTest, ReportsEachStepThenReady) {
  std::vector<JobReport> reports = Run();

  std::vector<std::string> conditions;
  for (const JobReport& report : reports) {
    if (!report.condition.empty()) {
      conditions.push_back(report.condition);
    }
  }
  EXPECT_THAT(conditions, ::testing::ElementsAre("Fetched", "Built", "Running", "Ready"));
  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(reports.back().outcome, Outcome::kReady);
  EXPECT_EQ(reports.back().container.id, runtime_.State().containers.at(0).id);
}

// An app still starting refuses its first probes. They come 10, 20 and 40 ms apart, not a whole
// health interval apart, so the preview is ready a few milliseconds after the app listens.
TEST_F(PreviewJobTest, ProbesSoonAfterTheStartThenLessOften) {
  context_.health_interval = absl::Seconds(2);
  probe_.FailFirst(3);

  auto start = std::chrono::steady_clock::now();
  std::vector<JobReport> reports = Run();
  auto took = std::chrono::steady_clock::now() - start;

  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(reports.back().outcome, Outcome::kReady);
  EXPECT_EQ(probe_.probes(), 4);
  EXPECT_LT(took, std::chrono::seconds(1));  // a fixed 2 s interval would take 6 s
}

}  // namespace
}  // namespace prevu::reconciler

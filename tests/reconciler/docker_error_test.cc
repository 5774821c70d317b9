// Docker's own words reach the status: HTTP error answers and errors inside a build stream.
#include "reconciler/docker/docker_error.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reconciler/docker/build_output.h"

namespace prevu::reconciler::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(DockerError, TakesTheJsonMessageAndMapsTheCode) {
  absl::Status status =
      DockerError(404, R"({"message":"No such container: pr-12"})", "inspect container pr-12");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "inspect container pr-12: No such container: pr-12");

  EXPECT_EQ(DockerError(409, R"({"message":"name in use"})", "x").code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(DockerError(400, "{}", "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DockerError(500, "{}", "x").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(DockerError(503, "{}", "x").code(), absl::StatusCode::kUnavailable);
}

TEST(DockerError, FallsBackToTheBodyText) {
  EXPECT_EQ(DockerError(502, "  Bad Gateway\n", "list containers").message(),
            "list containers: Bad Gateway");
  EXPECT_EQ(DockerError(500, "", "ping").message(), "ping: no error message");
  EXPECT_EQ(DockerError(500, std::string(5000, 'e'), "x").message().size(), 3u + 2048u);
}

TEST(BuildOutput, LogsStreamTextAndReturnsTheImageId) {
  std::vector<std::string> log;
  BuildOutput output([&](absl::string_view line) { log.emplace_back(line); });
  output.Consume(R"({"stream":"Step 1/2 : FROM scratch\n"})");
  output.Consume(R"({"stream":" ---\u003e Running"})");
  output.Consume(R"({"stream":" in abc\n"})");
  output.Consume(R"({"aux":{"ID":"sha256:feed"}})");
  output.Consume(R"({"stream":"Successfully built feed\n"})");
  EXPECT_TRUE(output.Finish().ok());
  EXPECT_EQ(output.image_id(), "sha256:feed");
  EXPECT_THAT(log, ElementsAre("Step 1/2 : FROM scratch", " ---> Running in abc",
                               "Successfully built feed"));
}

TEST(BuildOutput, TheErrorDetailBecomesTheStatus) {
  std::vector<std::string> log;
  BuildOutput output([&](absl::string_view line) { log.emplace_back(line); });
  output.Consume(R"({"stream":"Step 2/2 : RUN false\n"})");
  output.Consume(
      R"({"errorDetail":{"code":1,"message":"The command '/bin/sh -c false' returned a non-zero code: 1"},"error":"The command '/bin/sh -c false' returned a non-zero code: 1"})");
  absl::Status status = output.Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("returned a non-zero code: 1"));
  EXPECT_EQ(log.back(), "ERROR: The command '/bin/sh -c false' returned a non-zero code: 1");
}

TEST(BuildOutput, AnOldStyleErrorOrNoImageIsAnError) {
  BuildOutput old_style(nullptr);
  old_style.Consume(R"({"error":"COPY failed: file not found"})");
  EXPECT_THAT(old_style.Finish().message(), HasSubstr("COPY failed: file not found"));

  BuildOutput nothing(nullptr);
  nothing.Consume("not json at all");
  EXPECT_EQ(nothing.Finish().code(), absl::StatusCode::kUnknown);
}

}  // namespace
}  // namespace prevu::reconciler::docker

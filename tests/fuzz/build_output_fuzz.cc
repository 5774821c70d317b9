// Fuzzes how the Docker client follows a build: the JSON-lines answer of POST /build, split into
// lines and read by BuildOutput as DockerClient::BuildImage does, and DockerError over the same
// bytes as an error answer. The first line is the longest line kept (empty: the client's 1 MiB), so
// that seeds can make cut lines common. The outcome must not depend on how the stream is cut into
// reads, and no log line may hold a line break.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "reconciler/docker/build_output.h"
#include "reconciler/docker/docker_error.h"
#include "reconciler/docker/line_splitter.h"
#include "tests/fuzz/fuzz_support.h"

namespace prevu::reconciler::docker {
namespace {

struct Outcome {
  std::vector<std::string> log;
  std::string status;
  std::string image_id;

  bool operator==(const Outcome&) const = default;
};

Outcome Follow(const std::vector<absl::string_view>& reads, size_t max_line) {
  Outcome outcome;
  BuildOutput output([&](absl::string_view line) { outcome.log.emplace_back(line); });
  LineSplitter lines(max_line);
  auto consume = [&](absl::string_view line) {
    FUZZ_CHECK(line.size() <= max_line && !absl::StrContains(line, '\n'));
    output.Consume(line);
  };
  for (absl::string_view read : reads) {
    lines.Feed(read, consume);
  }
  lines.Flush(consume);

  absl::Status status = output.Finish();
  FUZZ_CHECK(!status.ok() || !output.image_id().empty());
  outcome.status = status.ToString();
  outcome.image_id = output.image_id();
  return outcome;
}

}  // namespace
}  // namespace prevu::reconciler::docker

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace docker = prevu::reconciler::docker;
  prevu::fuzz::FuzzInput input(data, size);
  size_t max_line = 0;
  if (!absl::SimpleAtoi(input.Line(), &max_line) || max_line == 0 || max_line > (1 << 20)) {
    max_line = 1 << 20;
  }
  std::string stream(input.Rest());

  docker::Outcome whole = docker::Follow({stream}, max_line);
  FUZZ_CHECK(docker::Follow(prevu::fuzz::Pieces(stream), max_line) == whole);
  for (const std::string& line : whole.log) {
    FUZZ_CHECK(!absl::StrContains(line, '\n'));
  }

  absl::Status error = docker::DockerError(400 + static_cast<int>(size % 200), stream, "build");
  FUZZ_CHECK(!error.ok() && absl::StartsWith(error.message(), "build"));
  return 0;
}

// Decoding Docker's multiplexed log frames and splitting streams into bounded lines.
#include "reconciler/docker/log_demuxer.h"

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reconciler/docker/line_splitter.h"

namespace prevu::reconciler::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

std::string Frame(int stream, const std::string& payload) {
  std::string frame = {static_cast<char>(stream), 0, 0, 0};
  uint32_t size = payload.size();
  for (int shift : {24, 16, 8, 0}) {
    frame.push_back(static_cast<char>((size >> shift) & 0xff));
  }
  return frame + payload;
}

std::vector<std::pair<int, std::string>> Decode(const std::string& stream, size_t piece) {
  std::vector<std::pair<int, std::string>> lines;
  LogDemuxer demuxer([&](int s, absl::string_view line) { lines.emplace_back(s, line); });
  for (size_t i = 0; i < stream.size(); i += piece) {
    demuxer.Feed(absl::string_view(stream).substr(i, piece));
  }
  demuxer.Flush();
  return lines;
}

TEST(LogDemuxer, SeparatesStdoutAndStderrWhateverThePieceSize) {
  std::string stream = Frame(1, "listening on :8080\nready\n") + Frame(2, "warn: slow\n") +
                       Frame(1, "par") + Frame(1, "tial\n");
  for (size_t piece : {1, 3, 8, 9, 1000}) {
    EXPECT_THAT(Decode(stream, piece), ElementsAre(Pair(1, "listening on :8080"), Pair(1, "ready"),
                                                   Pair(2, "warn: slow"), Pair(1, "partial")))
        << "piece size " << piece;
  }
}

TEST(LogDemuxer, FlushesUnterminatedLastLines) {
  EXPECT_THAT(Decode(Frame(2, "crashed: out of memory"), 5),
              ElementsAre(Pair(2, "crashed: out of memory")));
}

TEST(LogDemuxer, HandlesLargeFramesAndEmptyFrames) {
  std::string big(100000, 'x');
  EXPECT_THAT(Decode(Frame(1, "") + Frame(1, big + "\n"), 4096),
              ElementsAre(Pair(1, std::string(64 * 1024, 'x'))));
}

// Whatever bytes arrive (the stream comes from a preview's own program), lines stay bounded.
TEST(LogDemuxer, ArbitraryBytesNeverMakeALongerLine) {
  std::mt19937 random(12345);
  for (int round = 0; round < 200; ++round) {
    std::string stream(random() % 5000, '\0');
    for (char& c : stream) {
      c = static_cast<char>(random() % 300 == 0 ? '\n' : random() % 256);
    }
    size_t longest = 0;
    LogDemuxer demuxer(
        [&](int, absl::string_view line) { longest = std::max(longest, line.size()); },
        /*max_line=*/100);
    for (size_t i = 0; i < stream.size();) {
      size_t piece = 1 + random() % 64;
      demuxer.Feed(absl::string_view(stream).substr(i, piece));
      i += piece;
    }
    demuxer.Flush();
    EXPECT_LE(longest, 100u);
  }
}

TEST(LineSplitter, CutsOverlongLinesAndDropsTheirRest) {
  std::vector<std::string> lines;
  LineSplitter splitter(4);
  auto add = [&](absl::string_view line) { lines.emplace_back(line); };
  splitter.Feed("abcdefgh\r\nij", add);
  splitter.Feed("\r\n\nklmnop", add);
  splitter.Flush(add);
  EXPECT_THAT(lines, ElementsAre("abcd", "ij", "", "klmn"));
}

}  // namespace
}  // namespace prevu::reconciler::docker

#include "controller/store/frame_reader.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace prevu::controller::store {
namespace {

std::string Frames(const std::vector<std::string>& payloads) {
  std::string out;
  for (const std::string& payload : payloads) {
    AppendFrame(payload, &out);
  }
  return out;
}

std::vector<std::string> ReadAll(FrameReader& reader) {
  std::vector<std::string> payloads;
  while (std::optional<absl::string_view> payload = reader.Next()) {
    payloads.emplace_back(*payload);
  }
  return payloads;
}

TEST(FrameReaderTest, ReadsBackEveryFrameAndEndsCleanly) {
  std::string data = Frames({"one", std::string(1000, 'x'), "three"});
  FrameReader reader(data);

  EXPECT_EQ(ReadAll(reader), (std::vector<std::string>{"one", std::string(1000, 'x'), "three"}));
  EXPECT_EQ(reader.valid_end(), data.size());
  EXPECT_EQ(reader.damage(), "");
}

TEST(FrameReaderTest, FrameStartPointsAtTheLastFrameReturned) {
  std::string data = Frames({"one", "two"});
  FrameReader reader(data);

  reader.Next();
  reader.Next();

  EXPECT_EQ(reader.frame_start(), kFrameHeaderBytes + 3);
}

struct DamageCase {
  std::string name;
  std::function<void(std::string*)> damage;
  std::string want_damage;
};

class FrameDamageTest : public ::testing::TestWithParam<DamageCase> {};

// Two good frames, then the third damaged: the first two survive and the reader says why it
// stopped.
TEST_P(FrameDamageTest, KeepsFramesBeforeTheDamage) {
  std::string good = Frames({"first", "second"});
  std::string data = good + Frames({"third record"});
  GetParam().damage(&data);
  FrameReader reader(data);

  EXPECT_EQ(ReadAll(reader), (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(reader.valid_end(), good.size());
  EXPECT_EQ(reader.damage(), GetParam().want_damage);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FrameDamageTest,
    ::testing::Values(
        DamageCase{"ShortHeader", [](std::string* d) { d->resize(d->size() - 12 - 3); },
                   "short header"},
        DamageCase{"ShortPayload", [](std::string* d) { d->pop_back(); }, "short payload"},
        DamageCase{"FlippedPayloadByte", [](std::string* d) { (*d)[d->size() - 5] ^= 0x20; },
                   "bad checksum"},
        DamageCase{"FlippedChecksumByte", [](std::string* d) { (*d)[d->size() - 14] ^= 1; },
                   "bad checksum"},
        DamageCase{"ZeroLength", [](std::string* d) { d->replace(d->size() - 20, 4, 4, '\0'); },
                   "bad length"},
        DamageCase{"HugeLength",
                   [](std::string* d) { d->replace(d->size() - 20, 4, "\xFF\xFF\xFF\x7F"); },
                   "bad length"},
        DamageCase{"LengthPointingInside", [](std::string* d) { (*d)[d->size() - 20] = 5; },
                   "bad checksum"}),
    [](const ::testing::TestParamInfo<DamageCase>& info) { return info.param.name; });

// Whatever the bytes, the reader stops inside the buffer and never returns a damaged frame.
TEST(FrameReaderTest, SurvivesRandomBytesAndEveryTruncation) {
  std::mt19937 random(7);
  std::string data = Frames({"alpha", "beta", "gamma"});
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    FrameReader reader(absl::string_view(data).substr(0, cut));
    ReadAll(reader);
    EXPECT_LE(reader.valid_end(), cut);
  }

  for (int round = 0; round < 2000; ++round) {
    std::string noise(random() % 64, '\0');
    for (char& c : noise) {
      c = static_cast<char>(random());
    }
    FrameReader reader(noise);
    EXPECT_TRUE(ReadAll(reader).empty());
    EXPECT_EQ(reader.valid_end(), 0u);
  }
}

}  // namespace
}  // namespace prevu::controller::store
